using System.Security.Claims;
using Runtime.Grains.Tokens;
using Runtime.Grains.Workspaces;

namespace Runtime.Api.Auth;

/// <summary>Turns a <see cref="Caller"/> into a principal and back.</summary>
public static class CallerClaims
{
    private const string TokenId = "rt:token";
    private const string WorkspaceId = "rt:workspace";
    private const string WorkspaceSlug = "rt:workspace_slug";

    public static ClaimsPrincipal ToPrincipal(Caller caller, string scheme) => new(new ClaimsIdentity(
    [
        new Claim(ClaimTypes.NameIdentifier, caller.MemberId.ToString("D")),
        new Claim(ClaimTypes.Email, caller.Email),
        new Claim(ClaimTypes.Role, caller.Role.ToString()),
        new Claim(TokenId, caller.TokenId.ToString("D")),
        new Claim(WorkspaceId, caller.WorkspaceId.ToString("D")),
        new Claim(WorkspaceSlug, caller.WorkspaceSlug),
    ], scheme));

    /// <summary>The authenticated caller; only valid behind RequireAuthorization.</summary>
    public static Caller Caller(this ClaimsPrincipal user)
    {
        string Get(string type) => user.FindFirstValue(type) ?? throw new InvalidOperationException($"The principal has no {type} claim; is the endpoint authenticated?");
        return new Caller(Guid.Parse(Get(TokenId)), Guid.Parse(Get(WorkspaceId)), Get(WorkspaceSlug),
            Guid.Parse(Get(ClaimTypes.NameIdentifier)), Get(ClaimTypes.Email), Enum.Parse<Role>(Get(ClaimTypes.Role)));
    }
}
