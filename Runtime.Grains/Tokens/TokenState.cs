namespace Runtime.Grains.Tokens;

/// <summary>
/// The stored state of a token grain (table <c>api_tokens</c>; <c>hash</c>, <c>workspace_id</c> and
/// <c>member_id</c> are generated columns, the hash unique).
/// </summary>
public sealed class TokenState
{
    public Guid WorkspaceId { get; set; }

    public Guid MemberId { get; set; }

    public string Name { get; set; } = "";

    public string Hash { get; set; } = "";

    public string Prefix { get; set; } = "";

    public TokenStatus Status { get; set; }

    public DateTimeOffset CreatedAt { get; set; }

    public DateTimeOffset? ExpiresAt { get; set; }

    public DateTimeOffset? RevokedAt { get; set; }

    public string? RevokedReason { get; set; }

    /// <summary>The status a caller sees at <paramref name="now"/>: an active token past its expiry is Expired.</summary>
    public TokenStatus StatusAt(DateTimeOffset now) =>
        Status == TokenStatus.Active && ExpiresAt is { } expires && expires <= now ? TokenStatus.Expired : Status;
}
