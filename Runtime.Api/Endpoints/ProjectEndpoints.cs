using System.Text.Json;
using Runtime.Api.Agents;
using Runtime.Api.Auth;
using Runtime.Api.Idempotency;
using Runtime.Grains;
using Runtime.Grains.Blobs;
using Runtime.Grains.Logs;
using Runtime.Grains.Naming;
using Runtime.Grains.Paging;
using Runtime.Grains.Projects;
using Runtime.Grains.PythonEnvironments;
using Runtime.Grains.Secrets;
using Runtime.Grains.Sources;
using Runtime.Grains.Workspaces;

namespace Runtime.Api.Endpoints;

/// <summary>Git-backed apps: created by Owners, deployed from their branch with their own deploy key.</summary>
public static class ProjectEndpoints
{
    public sealed record CreateProjectRequest(
        string? Name, string? Slug, string? AppType, string? PythonEnvironment, string? RepositoryUrl, string? Branch, string? Path, string? Environment,
        ExecutionBody? Execution = null);

    private static readonly HashSet<string> Updatable = new(StringComparer.Ordinal) { "name", "pythonEnvironment", "path", "environment", ExecutionBody.Field };

    public static RouteGroupBuilder MapProjectEndpoints(this RouteGroupBuilder api)
    {
        var group = api.MapGroup($"/workspaces/{{{Access.WorkspaceParameter}}}/projects").WithTags("Projects");
        group.MapGet("/", List).WithName("ListProjects").WithSummary("Projects, newest first");
        group.MapPost("/", Create).WithName("CreateProject").RequireRole(Role.Owner)
            .WithSummary("Create a project from a Git repository; generates its SSH deploy key (Idempotency-Key supported)");
        group.MapGet("/{project}", Get).WithName("GetProject").WithSummary("A project by slug or id");
        group.MapPatch("/{project}", Update).WithName("UpdateProject").WithSummary("Change name, pythonEnvironment or path while the project is not running");
        group.MapDelete("/{project}", Delete).WithName("DeleteProject").RequireRole(Role.Owner).WithSummary("Delete a project");
        group.MapPost("/{project}/deploy", Deploy).WithName("DeployProject").WithSummary("Fetch the branch's latest commit and run it, or run a fetched revision (body {\"revision\": sha}: a rollback)");
        group.MapPost("/{project}/start", Start).WithName("StartProject").WithSummary("Start the current revision again");
        group.MapPost("/{project}/pull", Pull).WithName("PullProject").WithSummary("Fetch the branch's latest commit; when Deployed, roll the app to it");
        group.MapPost("/{project}/restart", Restart).WithName("RestartProject").WithSummary("Start a fresh workload and switch to it when healthy");
        group.MapPost("/{project}/stop", Stop).WithName("StopProject").WithSummary("Stop the app");
        group.MapGet("/{project}/logs", Logs).WithName("GetProjectLogs").WithSummary("The app's last lines (?tail=N, default 100, at most 10000)");
        group.MapGet("/{project}/logs/follow", Follow).WithName("FollowProjectLogs")
            .WithSummary("The app's lines as Server-Sent Events: the last ?tail=N first, then new ones as they are printed (resumes after Last-Event-ID)");
        group.MapGet("/{project}/revisions", Revisions).WithName("ListProjectRevisions").WithSummary("Fetched revisions, newest first");
        group.MapPost("/{project}/revisions", Upload).WithName("UploadProjectRevision").DisableAntiforgery()
            .WithSummary("Upload a revision as a tar.gz of a directory (the request body; X-Runtime-Message names it); the same content again is the same revision (200), new content a new one (201)");
        group.MapGet("/{project}/ssh-key", SshKey).WithName("GetProjectSshKey").WithSummary("The deploy key's public half and fingerprint");
        group.MapPost("/{project}/ssh-key/rotate", RotateKey).WithName("RotateProjectSshKey").RequireRole(Role.Owner)
            .WithSummary("Replace the deploy key; add the new public key to the repository before the next deploy");
        return api;
    }

    private static Task<Page<ProjectView>> List(HttpContext http, ProjectStore projects, int? limit, string? cursor) =>
        projects.ListAsync(http.User.Caller().WorkspaceId, Cursor.Decode(cursor), Cursor.Limit(limit), http.RequestAborted);

    private static async Task<IResult> Create(
        CreateProjectRequest request, HttpContext http, Orleans.IGrainFactory grains, ProjectStore projects, SecretCipher cipher, IConfiguration configuration,
        PythonEnvironmentStore pythonEnvironments, Runtime.Execution.Workloads.ExecutionOptions execution)
    {
        var caller = http.User.Caller();
        await PythonEnvironmentEndpoints.RequireExistsAsync(pythonEnvironments, caller.WorkspaceId, request.PythonEnvironment, http.RequestAborted);
        if (request.Environment is not null && request.Environment != ProjectGrain.DefaultEnvironment)
            throw new ValidationException("environment", $"Only the '{ProjectGrain.DefaultEnvironment}' environment exists so far; omit environment or use '{ProjectGrain.DefaultEnvironment}'.");
        var slug = request.Slug ?? Slug.From(request.Name ?? "");
        var id = IdempotencyKey.NewId(http.Request, caller.WorkspaceId, "create-project");
        if (Slug.IsValid(slug) && await projects.FindAsync(caller.WorkspaceId, slug, http.RequestAborted) is { } existing && existing != id)
        {
            var free = await projects.FreeSlugAsync(caller.WorkspaceId, slug, http.RequestAborted);
            throw new ConflictException("Slug taken", $"The slug '{slug}' is taken in this workspace; '{free}' is free.");
        }

        var key = await DeployKey.GenerateAsync($"runtime-project-{id:D}", http.RequestAborted);
        var project = await grains.GetGrain<IProjectGrain>(id).Create(new NewProject(
            caller.WorkspaceId, caller.WorkspaceSlug, request.Name, slug, request.AppType, request.PythonEnvironment, request.RepositoryUrl, request.Branch ?? "main", request.Path,
            key.PublicKey, cipher.Encrypt(key.PrivateKey, FetchSourceActivity.DeployKeyContext(id)),
            configuration.GetValue<bool>(FetchSourceActivity.AllowLocalKey), ExecutionBody.Check(request.Execution, execution)));
        return TypedResults.Created($"/api/workspaces/{caller.WorkspaceSlug}/projects/{project.Slug}", project);
    }

    private static async Task<ProjectView> Get(string project, HttpContext http, Orleans.IGrainFactory grains, ProjectStore projects) =>
        await (await Find(project, http, grains, projects)).Get();

    private static async Task<ProjectView> Update(
        string project, JsonElement body, HttpContext http, Orleans.IGrainFactory grains, ProjectStore projects, PythonEnvironmentStore pythonEnvironments,
        Runtime.Grains.Environments.EnvironmentStore environments, Runtime.Execution.Workloads.ExecutionOptions execution)
    {
        if (body.ValueKind != JsonValueKind.Object)
            throw new ValidationException("body", "Send a JSON object with any of name, pythonEnvironment, path, environment, execution.");
        string? Text(string name) => body.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;
        var others = body.EnumerateObject().Select(p => p.Name).Where(n => !Updatable.Contains(n)).ToList();
        var wrongType = body.EnumerateObject()
            .Where(p => Updatable.Contains(p.Name) && p.Value.ValueKind != (p.Name == ExecutionBody.Field ? JsonValueKind.Object : JsonValueKind.String)).ToList();
        if (wrongType.Count > 0)
            throw new ValidationException(wrongType.ToDictionary(p => p.Name, p => new[] { p.Name == ExecutionBody.Field ? $"{p.Name} must be an object." : $"{p.Name} must be a string." }));
        var choice = body.TryGetProperty(ExecutionBody.Field, out var given) ? ExecutionBody.Check(ExecutionBodyOf(given), execution) : null;
        await PythonEnvironmentEndpoints.RequireExistsAsync(pythonEnvironments, http.User.Caller().WorkspaceId, Text("pythonEnvironment"), http.RequestAborted);
        var id = await FindId(project, http, projects);
        string? environment = null;
        if (Text("environment") is { } wanted)
        {
            // cloud, or one of the project's environments by name or id.
            environment = wanted == ProjectGrain.DefaultEnvironment ? wanted
                : (await environments.FindAsync(id, wanted, http.RequestAborted))?.ToString("D")
                    ?? throw new ValidationException("environment", $"The project has no environment '{wanted}'; create it under …/environments, or use 'cloud'.");
        }
        return await grains.GetGrain<IProjectGrain>(id).Update(new ProjectUpdate(Text("name"), Text("pythonEnvironment"), Text("path"), others, environment, choice));
    }

    // The execution object of an update, its parts of the wrong type named in a 400.
    private static ExecutionBody ExecutionBodyOf(JsonElement element)
    {
        try
        {
            return element.Deserialize<ExecutionBody>(new JsonSerializerOptions(JsonSerializerDefaults.Web)) ?? new ExecutionBody();
        }
        catch (JsonException e)
        {
            throw new ValidationException(ExecutionBody.Field, $"execution has a part of the wrong type ({e.Path}): executor and image are strings, memoryMb, cpuPercent and tmpfsMb numbers.");
        }
    }

    private static async Task<IResult> Delete(string project, HttpContext http, Orleans.IGrainFactory grains, ProjectStore projects, Runtime.Grains.Jobs.RunStore runs)
    {
        var id = await FindId(project, http, projects);
        // Its jobs go with it, their active runs cancelled.
        foreach (var job in await runs.JobsAsync(id, http.RequestAborted))
            await grains.GetGrain<Runtime.Grains.Jobs.IJobGrain>(job).Delete();
        await grains.GetGrain<IProjectGrain>(id).Delete();
        return TypedResults.NoContent();
    }

    public sealed record DeployRequest(string? Revision);

    private static async Task<IResult> Deploy(string project, DeployRequest? request, HttpContext http, Orleans.IGrainFactory grains, ProjectStore projects, EnvironmentGate gate)
    {
        var grain = await Find(project, http, grains, projects);
        await gate.RequireValidAsync((await grain.Get()).Environment, http.RequestAborted);
        var view = await grain.Deploy(request?.Revision);
        return TypedResults.Accepted($"/api/workspaces/{http.User.Caller().WorkspaceSlug}/projects/{view.Slug}", view);
    }

    private static async Task<IResult> Start(string project, HttpContext http, Orleans.IGrainFactory grains, ProjectStore projects, EnvironmentGate gate) =>
        TypedResults.Accepted((string?)null, await (await OnlineAsync(project, http, grains, projects, gate)).Start());

    private static async Task<IResult> Pull(string project, HttpContext http, Orleans.IGrainFactory grains, ProjectStore projects) =>
        TypedResults.Accepted((string?)null, await (await Find(project, http, grains, projects)).Pull());

    private static async Task<IResult> Restart(string project, HttpContext http, Orleans.IGrainFactory grains, ProjectStore projects, EnvironmentGate gate) =>
        TypedResults.Accepted((string?)null, await (await OnlineAsync(project, http, grains, projects, gate)).Restart());

    // The project, once its environment is ready to run it (Online; the built-in cloud always is).
    private static async Task<IProjectGrain> OnlineAsync(string project, HttpContext http, Orleans.IGrainFactory grains, ProjectStore projects, EnvironmentGate gate)
    {
        var grain = await Find(project, http, grains, projects);
        await gate.RequireOnlineAsync((await grain.Get()).Environment, http.RequestAborted);
        return grain;
    }

    private static async Task<IResult> Stop(string project, HttpContext http, Orleans.IGrainFactory grains, ProjectStore projects) =>
        TypedResults.Accepted((string?)null, await (await Find(project, http, grains, projects)).Stop());

    private static async Task<IReadOnlyList<StoredLogLine>> Logs(string project, int? tail, HttpContext http, ProjectStore projects, WorkloadLogStore logs)
    {
        var lines = tail ?? 100;
        if (lines is < 1 or > 10_000)
            throw new ValidationException("tail", "tail must be between 1 and 10000.");
        var id = await FindId(project, http, projects);
        return await logs.TailAsync($"project/{id:D}", lines, http.RequestAborted);
    }

    private static async Task Follow(string project, int? tail, HttpContext http, ProjectStore projects, WorkloadLogStore logs, LogWakeups wakeups)
    {
        var lines = tail ?? 100;
        if (lines is < 0 or > 10_000)
            throw new ValidationException("tail", "tail must be between 0 and 10000.");
        var id = await FindId(project, http, projects);
        await LogStream.FollowAsync(http, logs, wakeups, $"project/{id:D}", lines);
    }

    private static async Task<IReadOnlyList<Revision>> Revisions(string project, HttpContext http, Orleans.IGrainFactory grains, ProjectStore projects) =>
        (await (await Find(project, http, grains, projects)).Get()).Revisions;

    /// <summary>The largest revision upload, packed (<c>Runtime:Uploads:MaxBytes</c>); unpacked it may be ten times that.</summary>
    public const string MaxUploadKey = "Runtime:Uploads:MaxBytes";

    private static async Task<IResult> Upload(string project, HttpContext http, Orleans.IGrainFactory grains, ProjectStore projects, IBlobStore blobs, IConfiguration configuration)
    {
        var id = await FindId(project, http, projects);
        var max = configuration.GetValue<long?>(MaxUploadKey) ?? 100L * 1024 * 1024;
        // Kestrel's own limit (30 MB) would refuse first, and less clearly.
        if (http.Features.Get<Microsoft.AspNetCore.Http.Features.IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } limit)
            limit.MaxRequestBodySize = max + 1;
        var archive = await UploadedArchive.CheckAsync(http.Request.Body, max, http.RequestAborted);
        var stored = await blobs.PutAsync(new MemoryStream(archive.Bytes, writable: false), http.RequestAborted);
        var grain = grains.GetGrain<IProjectGrain>(id);
        var path = (await grain.Get()).Path;
        var message = http.Request.Headers["X-Runtime-Message"].ToString() is { Length: > 0 } given ? given[..Math.Min(given.Length, 500)] : "uploaded archive";
        var revision = new Revision(archive.ContentHash[..40], message, http.User.Caller().Email, DateTimeOffset.UtcNow, stored.Hash, stored.Size, DateTimeOffset.UtcNow);
        var added = await grain.AddRevision(revision, archive.Files.Contains(path));
        return added.Created
            ? TypedResults.Created($"/api/workspaces/{http.User.Caller().WorkspaceSlug}/projects/{project}/revisions", added)
            : TypedResults.Ok(added);
    }

    private static async Task<DeployKeyView> SshKey(string project, HttpContext http, Orleans.IGrainFactory grains, ProjectStore projects) =>
        (await (await Find(project, http, grains, projects)).Get()).DeployKey;

    private static async Task<DeployKeyView> RotateKey(string project, HttpContext http, Orleans.IGrainFactory grains, ProjectStore projects, SecretCipher cipher)
    {
        var id = await FindId(project, http, projects);
        var key = await DeployKey.GenerateAsync($"runtime-project-{id:D}", http.RequestAborted);
        var view = await grains.GetGrain<IProjectGrain>(id).RotateKey(key.PublicKey, cipher.Encrypt(key.PrivateKey, FetchSourceActivity.DeployKeyContext(id)));
        return view.DeployKey;
    }

    private static async Task<IProjectGrain> Find(string project, HttpContext http, Orleans.IGrainFactory grains, ProjectStore projects) =>
        grains.GetGrain<IProjectGrain>(await FindId(project, http, projects));

    private static async Task<Guid> FindId(string project, HttpContext http, ProjectStore projects) =>
        await projects.FindAsync(http.User.Caller().WorkspaceId, project, http.RequestAborted) ?? throw new NotFoundException("project", project);
}
