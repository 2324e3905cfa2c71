using Runtime.Api.Auth;
using Runtime.Grains;
using Runtime.Grains.PythonEnvironments;
using Runtime.Grains.Workspaces;

namespace Runtime.Api.Endpoints;

/// <summary>A workspace's Python environments: an interpreter and requirements that agents build into a reused venv.</summary>
public static class PythonEnvironmentEndpoints
{
    public sealed record PythonEnvironmentRequest(string? Interpreter, string? Requirements, bool? InheritSystemPackages);

    public static RouteGroupBuilder MapPythonEnvironmentEndpoints(this RouteGroupBuilder api)
    {
        var group = api.MapGroup($"/workspaces/{{{Access.WorkspaceParameter}}}/python-environments").WithTags("Python environments");
        group.MapGet("/", List).WithName("ListPythonEnvironments").WithSummary("The workspace's Python environments, 'default' included");
        group.MapGet("/{name}", Get).WithName("GetPythonEnvironment").WithSummary("One Python environment");
        group.MapPut("/{name}", Put).WithName("PutPythonEnvironment").RequireRole(Role.Owner)
            .WithSummary("Create or replace an environment (interpreter: 'agent', python3.x or an absolute path; requirements: pip's requirements text); projects get it at their next start");
        group.MapDelete("/{name}", Delete).WithName("DeletePythonEnvironment").RequireRole(Role.Owner).WithSummary("Delete an environment no project uses");
        return api;
    }

    /// <summary>A 400 unless the workspace has the environment a project names.</summary>
    public static async Task RequireExistsAsync(PythonEnvironmentStore store, Guid workspaceId, string? name, CancellationToken ct)
    {
        if (!string.IsNullOrWhiteSpace(name) && await store.FindAsync(workspaceId, name.Trim(), ct) is null)
            throw new ValidationException("pythonEnvironment", $"The workspace has no Python environment '{name}'; create it with PUT …/python-environments/{{name}} or use 'default'.");
    }

    private static Task<IReadOnlyList<PythonEnvironmentView>> List(HttpContext http, PythonEnvironmentStore store) =>
        store.ListAsync(http.User.Caller().WorkspaceId, http.RequestAborted);

    private static async Task<PythonEnvironmentView> Get(string name, HttpContext http, PythonEnvironmentStore store) =>
        await store.FindAsync(http.User.Caller().WorkspaceId, name, http.RequestAborted) ?? throw new NotFoundException("Python environment", name);

    private static async Task<IResult> Put(string name, PythonEnvironmentRequest request, HttpContext http, PythonEnvironmentStore store)
    {
        var input = PythonEnvironmentInput.Parse(name, request.Interpreter, request.Requirements, request.InheritSystemPackages);
        var (view, created) = await store.PutAsync(http.User.Caller().WorkspaceId, input, http.RequestAborted);
        return created
            ? TypedResults.Created($"/api/workspaces/{http.User.Caller().WorkspaceSlug}/python-environments/{view.Name}", view)
            : TypedResults.Ok(view);
    }

    private static async Task<IResult> Delete(string name, HttpContext http, PythonEnvironmentStore store)
    {
        var workspace = http.User.Caller().WorkspaceId;
        var users = await store.UsersAsync(workspace, name, http.RequestAborted);
        if (users.Count > 0)
            throw new ConflictException("Environment in use", $"Projects {string.Join(", ", users)} use '{name}'; move them to another environment (PATCH …/projects/<slug>) first.");
        if (!await store.DeleteAsync(workspace, name, http.RequestAborted))
        {
            throw name == PythonEnvironmentStore.DefaultName
                ? new ConflictException("Built-in environment", "The built-in 'default' environment cannot be deleted; PUT …/python-environments/default to change it.")
                : new NotFoundException("Python environment", name);
        }
        return TypedResults.NoContent();
    }
}
