using Orleans;
using Orleans.Runtime;
using Runtime.Grains.Engine;
using Runtime.Grains.StateMachines;

namespace Runtime.Grains.Tokens;

/// <summary>One API token's lifecycle: Active → Revoked.</summary>
[GrainType("token")]
public sealed class TokenGrain([PersistentState("token")] IPersistentState<GrainRecord<TokenState>> record)
    : RuntimeGrain<TokenState>(record), ITokenGrain
{
    /// <summary>The token's state machine; Expired tokens are stored as Active and may still be revoked.</summary>
    public static readonly TransitionTable<TokenStatus, TokenOperation> Transitions = new TransitionTable<TokenStatus, TokenOperation>("token")
        .Allow(TokenStatus.Active, TokenOperation.Revoke, TokenStatus.Revoked)
        .Hint(TokenStatus.Revoked, TokenOperation.Revoke, "It is already revoked; nothing more to do.");

    public Task<TokenView> Issue(IssueToken request)
    {
        var validation = new Validation();
        validation.Require(!string.IsNullOrWhiteSpace(request.Name) && request.Name.Trim().Length <= 100, "name", "name is required and at most 100 characters.");
        validation.Require(ApiTokens.IsHash(request.Hash), "hash", "hash must be a hex SHA-256.");
        validation.Require(request.ExpiresAt is null || request.ExpiresAt > Context.Now, "expiresAt", "expiresAt must be in the future.");
        validation.ThrowIfInvalid();

        if (Exists)
        {
            if (State.Hash == request.Hash && State.WorkspaceId == request.WorkspaceId)
                return Task.FromResult(View());
            throw new ConflictException("Token exists", $"Token {Context.Id.Key} already exists.");
        }
        State = new TokenState
        {
            WorkspaceId = request.WorkspaceId,
            MemberId = request.MemberId,
            Name = request.Name.Trim(),
            Hash = request.Hash,
            Prefix = request.Prefix,
            Status = TokenStatus.Active,
            CreatedAt = Context.Now,
            ExpiresAt = request.ExpiresAt,
        };
        return Task.FromResult(View());
    }

    public Task<TokenView> Revoke(string reason)
    {
        RequireExists();
        State.Status = Transitions.Next(State.Status, TokenOperation.Revoke);
        State.RevokedAt = Context.Now;
        State.RevokedReason = string.IsNullOrWhiteSpace(reason) ? null : reason.Trim();
        return Task.FromResult(View());
    }

    public Task EnsureRevoked(string reason) =>
        !Exists || State.Status == TokenStatus.Revoked ? Task.CompletedTask : Revoke(reason);

    public Task<TokenView> Get()
    {
        RequireExists();
        return Task.FromResult(View());
    }

    private void RequireExists()
    {
        if (!Exists)
            throw new NotFoundException("token", Context.Id.Key);
    }

    private TokenView View() => TokenViews.From(Guid.Parse(Context.Id.Key), State, Context.Now);
}

internal static class TokenViews
{
    public static TokenView From(Guid id, TokenState s, DateTimeOffset now) =>
        new(id, s.WorkspaceId, s.MemberId, s.Name, s.Prefix, s.StatusAt(now), s.CreatedAt, s.ExpiresAt, s.RevokedAt, s.RevokedReason);
}
