using Runtime.Api.Auth;
using Runtime.Api.Idempotency;
using Runtime.Grains;
using Runtime.Grains.Paging;
using Runtime.Grains.Workspaces;

namespace Runtime.Api.Endpoints;

/// <summary>Members of a workspace and their roles; changed only by Owners.</summary>
public static class MemberEndpoints
{
    public sealed record AddMemberRequest(string? Email, string? Name, string? Role);

    public sealed record ChangeRoleRequest(string? Role);

    public static RouteGroupBuilder MapMemberEndpoints(this RouteGroupBuilder api)
    {
        var group = api.MapGroup($"/workspaces/{{{Access.WorkspaceParameter}}}/members").WithTags("Members");
        group.MapGet("/", List).WithName("ListMembers").WithSummary("Members, newest first");
        group.MapGet("/{memberId:guid}", Get).WithName("GetMember").WithSummary("One member");
        group.MapPost("/", Add).WithName("AddMember").RequireRole(Role.Owner).WithSummary("Add a member with a role (Idempotency-Key supported)");
        group.MapPatch("/{memberId:guid}", ChangeRole).WithName("ChangeMemberRole").RequireRole(Role.Owner).WithSummary("Change a member's role");
        group.MapDelete("/{memberId:guid}", Remove).WithName("RemoveMember").RequireRole(Role.Owner)
            .WithSummary("Remove a member and revoke their tokens");
        return api;
    }

    private static async Task<Page<MemberView>> List(HttpContext http, Orleans.IGrainFactory grains, int? limit, string? cursor)
    {
        var after = Cursor.Decode(cursor);
        var size = Cursor.Limit(limit);
        var workspace = await grains.GetGrain<IWorkspaceGrain>(http.User.Caller().WorkspaceId).Get();
        return InMemoryPaging.Page(workspace.Members, m => new Cursor(m.AddedAt, m.Id.ToString("D")), after, size);
    }

    private static async Task<MemberView> Get(Guid memberId, HttpContext http, Orleans.IGrainFactory grains)
    {
        var workspace = await grains.GetGrain<IWorkspaceGrain>(http.User.Caller().WorkspaceId).Get();
        return workspace.Members.FirstOrDefault(m => m.Id == memberId) ?? throw new NotFoundException("member", memberId.ToString());
    }

    private static async Task<IResult> Add(AddMemberRequest request, HttpContext http, Orleans.IGrainFactory grains)
    {
        var caller = http.User.Caller();
        var validation = new Validation();
        validation.Require(!string.IsNullOrWhiteSpace(request.Email), "email", "email is required.");
        var role = ParseRole(validation, request.Role, required: true);
        validation.ThrowIfInvalid();

        var id = IdempotencyKey.NewId(http.Request, caller.WorkspaceId, "add-member");
        var member = await grains.GetGrain<IWorkspaceGrain>(caller.WorkspaceId).AddMember(new NewMember(id, request.Email!, request.Name, role));
        return TypedResults.Created($"/api/workspaces/{caller.WorkspaceSlug}/members/{member.Id}", member);
    }

    private static async Task<MemberView> ChangeRole(Guid memberId, ChangeRoleRequest request, HttpContext http, Orleans.IGrainFactory grains)
    {
        var validation = new Validation();
        var role = ParseRole(validation, request.Role, required: true);
        validation.ThrowIfInvalid();
        return await grains.GetGrain<IWorkspaceGrain>(http.User.Caller().WorkspaceId).ChangeRole(memberId, role);
    }

    private static async Task<IResult> Remove(Guid memberId, HttpContext http, Orleans.IGrainFactory grains)
    {
        await grains.GetGrain<IWorkspaceGrain>(http.User.Caller().WorkspaceId).RemoveMember(memberId);
        return TypedResults.NoContent();
    }

    private static Role ParseRole(Validation validation, string? value, bool required)
    {
        if (value is null)
        {
            validation.Require(!required, "role", "role is required: Owner, Member or Viewer.");
            return Role.Viewer;
        }
        if (Enum.TryParse<Role>(value, ignoreCase: true, out var role) && Enum.IsDefined(role) && !char.IsDigit(value[0]))
            return role;
        validation.Add("role", $"'{value}' is not a role; use Owner, Member or Viewer.");
        return Role.Viewer;
    }
}
