using System.Buffers.Text;
using System.Security.Cryptography;
using Runtime.Api.Auth;
using Runtime.Api.Idempotency;
using Runtime.Grains;
using Runtime.Grains.Environments;
using Runtime.Grains.Projects;
using Runtime.Grains.Tokens;
using Runtime.Grains.Workspaces;

namespace Runtime.Api.Endpoints;

/// <summary>A project's custom environments: their records, agent tokens, status, troubleshooting and retirement.</summary>
public static class EnvironmentEndpoints
{
    /// <summary>The prefix of an environment's agent token.</summary>
    public const string TokenPrefix = "re_";

    public sealed record CreateEnvironmentRequest(string? Name, string? Description, IReadOnlyList<string>? Labels);

    public sealed record RotateRequest(int? GraceSeconds);

    /// <summary>A token as it is issued: shown this once, with the command that runs the agent (null on a retried create: rotate for a new one).</summary>
    public sealed record IssuedEnvironmentToken(string? Token, string? AgentCommand, EnvironmentView Environment, string? Notice = null);

    public static RouteGroupBuilder MapEnvironmentEndpoints(this RouteGroupBuilder api)
    {
        var environments = api.MapGroup($"/workspaces/{{{Access.WorkspaceParameter}}}/projects/{{project}}/environments").WithTags("Environments");
        environments.MapGet("/", List).WithName("ListEnvironments").WithSummary("The project's custom environments (the built-in one is 'cloud'), newest first");
        environments.MapPost("/", Create).WithName("CreateEnvironment").RequireRole(Role.Owner)
            .WithSummary("Create an environment (name saying where and what for, description, labels); answers its agent token, shown once, and the command that runs the agent (Idempotency-Key supported)");
        environments.MapGet("/{environment}", async (string project, string environment, HttpContext http, Orleans.IGrainFactory grains, ProjectStore projects, EnvironmentStore store) =>
            await (await FindAsync(project, environment, http, grains, projects, store)).Get()).WithName("GetEnvironment")
            .WithSummary("Status (Online, Offline, Retired) and since when, the agent, the token's state, the last transitions and a flapping warning");
        environments.MapPatch("/{environment}", Update).WithName("UpdateEnvironment").RequireRole(Role.Owner).WithSummary("Change description or labels");
        environments.MapGet("/{environment}/troubleshoot", async (string project, string environment, HttpContext http, Orleans.IGrainFactory grains, ProjectStore projects, EnvironmentStore store) =>
            await (await FindAsync(project, environment, http, grains, projects, store)).Troubleshoot()).WithName("TroubleshootEnvironment")
            .WithSummary("In order: the agent process (last heartbeat, version, uptime), the network path (last contact, round trip), the token, resource pressure, recent workload failures");
        environments.MapPost("/{environment}/validate", async (string project, string environment, HttpContext http, ProjectStore projects, EnvironmentStore store,
                Runtime.Api.Agents.EnvironmentValidation validation) =>
            {
                var projectId = await ProjectIdAsync(project, http, projects);
                var id = await store.FindAsync(projectId, environment, http.RequestAborted) ?? throw new NotFoundException("environment", environment);
                return await validation.ValidateAsync(id, http.RequestAborted);
            }).WithName("ValidateEnvironment").RequireRole(Role.Member)
            .WithSummary("The environment's checklist (also run before every deploy): agent online, token valid, settings there, each connection reachable from the agent, each data path usable there");
        environments.MapPost("/{environment}/restart", Restart).WithName("RestartEnvironment").RequireRole(Role.Member)
            .WithSummary("Restart every app Deployed in the environment (each starts a fresh workload beside the serving one and switches when healthy); 409 while it is offline");
        environments.MapPost("/{environment}/token/rotate", Rotate).WithName("RotateEnvironmentToken").RequireRole(Role.Owner)
            .WithSummary("Issue a new agent token (shown once); the old one keeps working for graceSeconds (default 600)");
        environments.MapPost("/{environment}/token/revoke", async (string project, string environment, HttpContext http, Orleans.IGrainFactory grains, ProjectStore projects, EnvironmentStore store) =>
            await (await FindAsync(project, environment, http, grains, projects, store)).RevokeToken()).WithName("RevokeEnvironmentToken").RequireRole(Role.Owner)
            .WithSummary("No token of this environment works any more; rotate to issue a new one");
        environments.MapPost("/{environment}/retire", async (string project, string environment, bool? force, HttpContext http, Orleans.IGrainFactory grains, ProjectStore projects, EnvironmentStore store) =>
            await (await FindAsync(project, environment, http, grains, projects, store)).Retire(force ?? false)).WithName("RetireEnvironment").RequireRole(Role.Owner)
            .WithSummary("Retire the environment: refused while its agent runs workloads, unless ?force=true, which stops them first");
        return api;
    }

    private static async Task<IReadOnlyList<EnvironmentView>> List(string project, HttpContext http, Orleans.IGrainFactory grains, ProjectStore projects, EnvironmentStore store)
    {
        var projectId = await ProjectIdAsync(project, http, projects);
        var views = new List<EnvironmentView>();
        foreach (var id in await store.ListAsync(projectId, http.RequestAborted))
            views.Add(await grains.GetGrain<IEnvironmentGrain>(id).Get());
        return views;
    }

    private static async Task<IResult> Create(
        string project, CreateEnvironmentRequest request, HttpContext http, Orleans.IGrainFactory grains, ProjectStore projects, EnvironmentStore store)
    {
        var caller = http.User.Caller();
        var projectId = await ProjectIdAsync(project, http, projects);
        var id = IdempotencyKey.NewId(http.Request, caller.WorkspaceId, "create-environment");
        if (request.Name is { } name && await store.FindAsync(projectId, name.Trim(), http.RequestAborted) is { } existing && existing != id)
            throw new ConflictException("Environment exists", $"The project already has an environment named '{name.Trim()}'; choose another name.");
        var token = NewToken();
        var created = await grains.GetGrain<IEnvironmentGrain>(id).Create(new NewEnvironment(caller.WorkspaceId, projectId, request.Name, request.Description, request.Labels, ApiTokens.Hash(token)));
        var location = $"/api/workspaces/{caller.WorkspaceSlug}/projects/{project}/environments/{created.Environment.Name}";
        if (!created.Created)
        {
            // A retried create (same Idempotency-Key): the token was shown the first time and is not kept.
            return TypedResults.Ok(new IssuedEnvironmentToken(null, null, created.Environment,
                "The environment was created by an earlier request with this Idempotency-Key; its token was shown then. Rotate it (POST …/token/rotate) for a new one."));
        }
        return TypedResults.Created(location, Issued(http, token, created.Environment));
    }

    private static async Task<EnvironmentView> Update(
        string project, string environment, System.Text.Json.JsonElement body, HttpContext http, Orleans.IGrainFactory grains, ProjectStore projects, EnvironmentStore store)
    {
        if (body.ValueKind != System.Text.Json.JsonValueKind.Object)
            throw new ValidationException("body", "Send a JSON object with description and/or labels.");
        string? description = null;
        IReadOnlyList<string>? labels = null;
        if (body.TryGetProperty("description", out var d))
            description = d.ValueKind == System.Text.Json.JsonValueKind.String ? d.GetString() : throw new ValidationException("description", "description must be a string.");
        if (body.TryGetProperty("labels", out var l))
        {
            labels = l.ValueKind == System.Text.Json.JsonValueKind.Array && l.EnumerateArray().All(x => x.ValueKind == System.Text.Json.JsonValueKind.String)
                ? l.EnumerateArray().Select(x => x.GetString()!).ToList()
                : throw new ValidationException("labels", "labels must be an array of strings.");
        }
        var others = body.EnumerateObject().Select(p => p.Name).Where(n => n is not ("description" or "labels")).ToList();
        return await (await FindAsync(project, environment, http, grains, projects, store)).Update(new EnvironmentUpdate(description, labels, others));
    }

    public sealed record RestartedEnvironment(EnvironmentView Environment, IReadOnlyList<string> Restarted);

    private static async Task<IResult> Restart(
        string project, string environment, HttpContext http, Orleans.IGrainFactory grains, ProjectStore projects, EnvironmentStore store, Runtime.Api.Agents.EnvironmentGate gate)
    {
        var grain = await FindAsync(project, environment, http, grains, projects, store);
        var view = await grain.Get();
        await gate.RequireOnlineAsync(view.Id.ToString("D"), http.RequestAborted);
        var restarted = new List<string>();
        foreach (var id in await projects.DeployedInAsync(view.Id.ToString("D"), http.RequestAborted))
            restarted.Add((await grains.GetGrain<IProjectGrain>(id).Restart()).Slug);
        return TypedResults.Accepted((string?)null, new RestartedEnvironment(view, restarted));
    }

    private static async Task<IssuedEnvironmentToken> Rotate(
        string project, string environment, RotateRequest? request, HttpContext http, Orleans.IGrainFactory grains, ProjectStore projects, EnvironmentStore store)
    {
        var grain = await FindAsync(project, environment, http, grains, projects, store);
        var token = NewToken();
        var view = await grain.RotateToken(ApiTokens.Hash(token), request?.GraceSeconds is { } seconds ? TimeSpan.FromSeconds(seconds) : null);
        return Issued(http, token, view);
    }

    private static string NewToken() => TokenPrefix + Base64Url.EncodeToString(RandomNumberGenerator.GetBytes(32));

    private static IssuedEnvironmentToken Issued(HttpContext http, string token, EnvironmentView view) =>
        new(token, $"runtime-agent --api {http.Request.Scheme}://{http.Request.Host}{http.Request.PathBase} --environment {view.Id} --token {token}", view);

    private static async Task<Guid> ProjectIdAsync(string project, HttpContext http, ProjectStore projects) =>
        await projects.FindAsync(http.User.Caller().WorkspaceId, project, http.RequestAborted) ?? throw new NotFoundException("project", project);

    private static async Task<IEnvironmentGrain> FindAsync(
        string project, string environment, HttpContext http, Orleans.IGrainFactory grains, ProjectStore projects, EnvironmentStore store)
    {
        var projectId = await ProjectIdAsync(project, http, projects);
        return grains.GetGrain<IEnvironmentGrain>(await store.FindAsync(projectId, environment, http.RequestAborted) ?? throw new NotFoundException("environment", environment));
    }
}
