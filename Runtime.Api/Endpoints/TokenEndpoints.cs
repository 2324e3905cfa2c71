using Runtime.Api.Auth;
using Runtime.Api.Idempotency;
using Runtime.Grains;
using Runtime.Grains.Paging;
using Runtime.Grains.Tokens;
using Runtime.Grains.Workspaces;

namespace Runtime.Api.Endpoints;

/// <summary>API tokens: created (secret shown once), listed (never the secret), revoked.</summary>
public static class TokenEndpoints
{
    /// <param name="MemberId">Whose token; defaults to the caller. Only an Owner may create tokens for others.</param>
    public sealed record CreateTokenRequest(string? Name, DateTimeOffset? ExpiresAt, Guid? MemberId);

    public sealed record RevokeTokenRequest(string? Reason);

    /// <summary>A token just created: <see cref="Token"/> is the secret, returned only here.</summary>
    public sealed record NewTokenResponse(Guid Id, string Name, string Prefix, Guid MemberId, DateTimeOffset CreatedAt, DateTimeOffset? ExpiresAt, string Token);

    public static RouteGroupBuilder MapTokenEndpoints(this RouteGroupBuilder api)
    {
        var group = api.MapGroup($"/workspaces/{{{Access.WorkspaceParameter}}}/tokens").WithTags("Tokens");
        group.MapGet("/", List).WithName("ListTokens").WithSummary("Tokens, newest first: all for an Owner, one's own otherwise");
        group.MapGet("/{tokenId:guid}", Get).WithName("GetToken").WithSummary("One token (never its secret)");
        group.MapPost("/", Create).WithName("CreateToken").WithSummary("Create a token; the response is the only time its secret is shown");
        group.MapPost("/{tokenId:guid}/revoke", Revoke).WithName("RevokeToken").WithSummary("Revoke a token at once");
        return api;
    }

    private static Task<Page<TokenView>> List(HttpContext http, TokenStore tokens, int? limit, string? cursor)
    {
        var caller = http.User.Caller();
        var after = Cursor.Decode(cursor);
        var size = Cursor.Limit(limit);
        return tokens.ListAsync(caller.WorkspaceId, caller.Role == Role.Owner ? null : caller.MemberId, after, size, http.RequestAborted);
    }

    private static async Task<TokenView> Get(Guid tokenId, HttpContext http, Orleans.IGrainFactory grains) =>
        await VisibleToken(http.User.Caller(), grains, tokenId);

    private static async Task<IResult> Create(CreateTokenRequest request, HttpContext http, Orleans.IGrainFactory grains, TimeProvider time)
    {
        var caller = http.User.Caller();
        var validation = new Validation();
        validation.Require(!string.IsNullOrWhiteSpace(request.Name), "name", "name is required, e.g. \"ci\" or \"laptop\".");
        validation.Require(request.ExpiresAt is null || request.ExpiresAt > time.GetUtcNow(), "expiresAt", "expiresAt must be in the future.");
        validation.ThrowIfInvalid();

        var memberId = request.MemberId ?? caller.MemberId;
        if (memberId != caller.MemberId)
        {
            if (caller.Role != Role.Owner)
                return TypedResults.Problem(Problems.Problems.Forbidden("Only an Owner can create tokens for other members."));
            var workspace = await grains.GetGrain<IWorkspaceGrain>(caller.WorkspaceId).Get();
            if (workspace.Members.All(m => m.Id != memberId))
                throw new ValidationException("memberId", $"No member {memberId} in this workspace.");
        }

        var tokenId = IdempotencyKey.NewId(http.Request, caller.WorkspaceId, $"create-token:{caller.MemberId:D}");
        await RefuseReplayedSecret(http, grains, tokenId);
        var created = await IssueAsync(grains, tokenId, caller.WorkspaceId, memberId, request.Name!, request.ExpiresAt);
        return TypedResults.Created($"/api/workspaces/{caller.WorkspaceSlug}/tokens/{created.Id}", created);
    }

    private static async Task<TokenView> Revoke(Guid tokenId, RevokeTokenRequest? request, HttpContext http, Orleans.IGrainFactory grains)
    {
        var caller = http.User.Caller();
        await VisibleToken(caller, grains, tokenId);
        return await grains.GetGrain<ITokenGrain>(tokenId).Revoke(request?.Reason ?? $"revoked by {caller.Email}");
    }

    /// <summary>Mints a secret, stores only its hash, and returns the secret with the token's details.</summary>
    internal static async Task<NewTokenResponse> IssueAsync(Orleans.IGrainFactory grains, Guid tokenId, Guid workspaceId, Guid memberId, string name, DateTimeOffset? expiresAt)
    {
        var (secret, hash, prefix) = ApiTokens.Create();
        var view = await grains.GetGrain<ITokenGrain>(tokenId).Issue(new IssueToken(workspaceId, memberId, name, hash, prefix, expiresAt));
        return new NewTokenResponse(view.Id, view.Name, view.Prefix, view.MemberId, view.CreatedAt, view.ExpiresAt, secret);
    }

    /// <summary>
    /// A retried create whose token already exists cannot be answered with the same body: the secret
    /// is not stored. Say so instead of minting a second token.
    /// </summary>
    internal static async Task RefuseReplayedSecret(HttpContext http, Orleans.IGrainFactory grains, Guid tokenId)
    {
        if (!IdempotencyKey.IsPresent(http.Request))
            return;
        try
        {
            var existing = await grains.GetGrain<ITokenGrain>(tokenId).Get();
            throw new ConflictException("Already created",
                $"This Idempotency-Key already created token {existing.Prefix}… ({existing.Id}) at {existing.CreatedAt:O}. Its secret was shown only in that response; if it was lost, revoke that token and create a new one with a new key.");
        }
        catch (NotFoundException)
        {
        }
    }

    // A member sees their own tokens; an Owner sees all of the workspace's. Anything else is not found.
    private static async Task<TokenView> VisibleToken(Caller caller, Orleans.IGrainFactory grains, Guid tokenId)
    {
        var token = await grains.GetGrain<ITokenGrain>(tokenId).Get();
        if (token.WorkspaceId != caller.WorkspaceId || (caller.Role != Role.Owner && token.MemberId != caller.MemberId))
            throw new NotFoundException("token", tokenId.ToString());
        return token;
    }
}
