using Runtime.Api.Auth;
using Runtime.Grains.Workspaces;

namespace Runtime.Api.Endpoints;

/// <summary>Who the caller is: the first call a CLI makes after login.</summary>
public static class MeEndpoints
{
    public sealed record MeResponse(Guid MemberId, string Email, Role Role, Guid WorkspaceId, string Workspace, Guid TokenId);

    public static RouteGroupBuilder MapMeEndpoints(this RouteGroupBuilder api)
    {
        api.MapGet("/me", Get).WithName("GetMe").WithSummary("The member, workspace and token behind this request").WithTags("Identity");
        return api;
    }

    private static MeResponse Get(HttpContext http)
    {
        var caller = http.User.Caller();
        return new MeResponse(caller.MemberId, caller.Email, caller.Role, caller.WorkspaceId, caller.WorkspaceSlug, caller.TokenId);
    }
}
