using Microsoft.AspNetCore.Http.HttpResults;
using Runtime.Api.Auth;
using Runtime.Api.Idempotency;
using Runtime.Grains;
using Runtime.Grains.Naming;
using Runtime.Grains.Paging;
using Runtime.Grains.Tokens;
using Runtime.Grains.Workspaces;

namespace Runtime.Api.Endpoints;

/// <summary>Workspaces: the caller's own, and new ones created by an Owner.</summary>
public static class WorkspaceEndpoints
{
    public sealed record CreateWorkspaceRequest(string? Name, string? Slug);

    public sealed record WorkspaceResponse(Guid Id, string Name, string Slug, DateTimeOffset CreatedAt, int MemberCount);

    /// <summary>A new workspace and the Owner token for it, shown only in this response.</summary>
    public sealed record CreatedWorkspaceResponse(WorkspaceResponse Workspace, TokenEndpoints.NewTokenResponse OwnerToken);

    public static RouteGroupBuilder MapWorkspaceEndpoints(this RouteGroupBuilder api)
    {
        var group = api.MapGroup("/workspaces").WithTags("Workspaces");
        group.MapGet("/", List).WithName("ListWorkspaces").WithSummary("The workspaces this token can see (its own)");
        group.MapPost("/", Create).WithName("CreateWorkspace").RequireRole(Role.Owner)
            .WithSummary("Create a workspace; the caller becomes its Owner and gets a token for it");
        group.MapGet($"/{{{Access.WorkspaceParameter}}}", Get).WithName("GetWorkspace").WithSummary("A workspace by slug or id");
        return api;
    }

    private static async Task<Page<WorkspaceResponse>> List(HttpContext http, Orleans.IGrainFactory grains)
    {
        var caller = http.User.Caller();
        var view = await grains.GetGrain<IWorkspaceGrain>(caller.WorkspaceId).Get();
        return new Page<WorkspaceResponse>([ToResponse(view)], null);
    }

    private static async Task<WorkspaceResponse> Get(HttpContext http, Orleans.IGrainFactory grains) =>
        ToResponse(await grains.GetGrain<IWorkspaceGrain>(http.User.Caller().WorkspaceId).Get());

    private static async Task<Created<CreatedWorkspaceResponse>> Create(
        CreateWorkspaceRequest request, HttpContext http, Orleans.IGrainFactory grains)
    {
        var caller = http.User.Caller();
        var validation = new Validation();
        validation.Require(!string.IsNullOrWhiteSpace(request.Name), "name", "name is required.");
        validation.Require(request.Slug is null || Slug.IsValid(request.Slug), "slug", $"'{request.Slug}' is not a valid slug: {Slug.Rule}.");
        validation.ThrowIfInvalid();

        var workspaceId = IdempotencyKey.NewId(http.Request, caller.WorkspaceId, "create-workspace");
        var ownerId = Guid.CreateVersion7();
        var slug = request.Slug ?? Slug.From(request.Name!);
        var tokenId = IdempotencyKey.NewId(http.Request, workspaceId, "owner-token");
        await TokenEndpoints.RefuseReplayedSecret(http, grains, tokenId);

        var workspace = await grains.GetGrain<IWorkspaceGrain>(workspaceId)
            .Create(request.Name!, slug, new NewMember(ownerId, caller.Email, null, Role.Owner));
        var owner = workspace.Members.Single(m => m.Role == Role.Owner);
        var token = await TokenEndpoints.IssueAsync(grains, tokenId, workspace.Id, owner.Id, $"owner token (created by {caller.Email})", null);
        return TypedResults.Created($"/api/workspaces/{workspace.Slug}", new CreatedWorkspaceResponse(ToResponse(workspace), token));
    }

    private static WorkspaceResponse ToResponse(WorkspaceView w) => new(w.Id, w.Name, w.Slug, w.CreatedAt, w.Members.Count);
}
