using Runtime.Api.Auth;
using Runtime.Grains;
using Runtime.Grains.Configurations;
using Runtime.Grains.Projects;
using Runtime.Grains.Workspaces;

namespace Runtime.Api.Endpoints;

/// <summary>A project's configuration versions: dlt-style settings files, versioned apart from its code, secret files write-only.</summary>
public static class ConfigurationEndpoints
{
    public sealed record ConfigurationRequest(Dictionary<string, string?>? Files);

    public static RouteGroupBuilder MapConfigurationEndpoints(this RouteGroupBuilder api)
    {
        var group = api.MapGroup($"/workspaces/{{{Access.WorkspaceParameter}}}/projects/{{project}}/configurations").WithTags("Configurations");
        group.MapGet("/", List).WithName("ListConfigurations").WithSummary("Configuration versions, newest first: file names, hashes and sizes, never contents");
        group.MapPost("/", Put).WithName("PutConfiguration").RequireRole(Role.Owner)
            .WithSummary("Upload the configuration files ({\"files\": {\"config.toml\": …, \"prod.secrets.toml\": …}}); a new version only when they changed (201), else the latest (200)");
        return api;
    }

    private static async Task<IReadOnlyList<ConfigurationVersionView>> List(string project, HttpContext http, ProjectStore projects, ConfigurationStore configurations) =>
        await configurations.ListAsync(await ProjectIdAsync(project, http, projects), http.RequestAborted);

    private static async Task<IResult> Put(string project, ConfigurationRequest request, HttpContext http, ProjectStore projects, ConfigurationStore configurations)
    {
        var id = await ProjectIdAsync(project, http, projects);
        var (view, created) = await configurations.PutAsync(id, request.Files ?? [], http.User.Caller().Email, http.RequestAborted);
        return created
            ? TypedResults.Created($"/api/workspaces/{http.User.Caller().WorkspaceSlug}/projects/{project}/configurations", view)
            : TypedResults.Ok(view);
    }

    private static async Task<Guid> ProjectIdAsync(string project, HttpContext http, ProjectStore projects) =>
        await projects.FindAsync(http.User.Caller().WorkspaceId, project, http.RequestAborted) ?? throw new NotFoundException("project", project);
}
