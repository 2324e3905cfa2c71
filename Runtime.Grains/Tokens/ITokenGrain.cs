namespace Runtime.Grains.Tokens;

/// <summary>An API token of one workspace member. Only the SHA-256 of the secret is ever stored.</summary>
[Orleans.Alias("token")]
public interface ITokenGrain : Orleans.IGrainWithGuidKey
{
    /// <summary>Records a new token; repeating the same issue returns the same token.</summary>
    Task<TokenView> Issue(IssueToken request);

    /// <summary>Revokes the token; a revoked token is refused with 401 from then on.</summary>
    Task<TokenView> Revoke(string reason);

    /// <summary>Revokes unless already revoked: the one-way form other grains send (messages must be idempotent).</summary>
    Task EnsureRevoked(string reason);

    [Orleans.Concurrency.ReadOnly]
    Task<TokenView> Get();
}

/// <param name="Hash">Hex SHA-256 of the secret (<see cref="ApiTokens.Hash"/>).</param>
/// <param name="Prefix">The first characters of the secret, to recognise it in lists.</param>
[Orleans.GenerateSerializer, Orleans.Alias("token.issue")]
public sealed record IssueToken(Guid WorkspaceId, Guid MemberId, string Name, string Hash, string Prefix, DateTimeOffset? ExpiresAt);

/// <summary>What the Api shows of a token: never the secret nor its hash.</summary>
[Orleans.GenerateSerializer, Orleans.Alias("token.view")]
public sealed record TokenView(
    Guid Id,
    Guid WorkspaceId,
    Guid MemberId,
    string Name,
    string Prefix,
    TokenStatus Status,
    DateTimeOffset CreatedAt,
    DateTimeOffset? ExpiresAt,
    DateTimeOffset? RevokedAt,
    string? RevokedReason);

/// <summary>A token's stored lifecycle state; "expired" is derived from the clock, not stored.</summary>
public enum TokenStatus
{
    Active,
    Expired,
    Revoked,
}

public enum TokenOperation
{
    Revoke,
}
