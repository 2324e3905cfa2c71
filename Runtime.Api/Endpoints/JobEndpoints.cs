using Runtime.Api.Agents;
using Runtime.Api.Auth;
using Runtime.Api.Idempotency;
using Runtime.Api.Proxy;
using Runtime.Grains;
using Runtime.Grains.Jobs;
using Runtime.Grains.Logs;
using Runtime.Grains.Paging;
using Runtime.Grains.Projects;
using Runtime.Grains.Workspaces;

namespace Runtime.Api.Endpoints;

/// <summary>A project's jobs (scripts run on demand or on a cron schedule) and their runs.</summary>
public static partial class JobEndpoints
{
    public sealed record ScheduleRequest(string? Cron, string? TimeZone);

    public sealed record FollowRequest(string? Job, string? On);

    public sealed record CreateJobRequest(
        string? Name, string? Path, ScheduleRequest? Schedule, string? Overlap, bool? CatchUp, int? TimeLimitSeconds, int? Retries, int? RetryDelaySeconds,
        FollowRequest? After, bool? Interactive = null, string? AppType = null, int? IdleTimeoutSeconds = null, ExecutionBody? Execution = null);

    /// <summary>The longest time limit a job may have (<c>Runtime:Jobs:MaxTimeLimit</c>).</summary>
    public const string MaxTimeLimitKey = "Runtime:Jobs:MaxTimeLimit";

    /// <summary>How long an interactive job's app may go unused before it is stopped, unless the job says (<c>Runtime:Jobs:IdleTimeout</c>).</summary>
    public const string IdleTimeoutKey = "Runtime:Jobs:IdleTimeout";

    public static RouteGroupBuilder MapJobEndpoints(this RouteGroupBuilder api)
    {
        var jobs = api.MapGroup($"/workspaces/{{{Access.WorkspaceParameter}}}/projects/{{project}}/jobs").WithTags("Jobs");
        jobs.MapGet("/", List).WithName("ListJobs").WithSummary("The project's jobs, newest first");
        jobs.MapPost("/", Create).WithName("CreateJob")
            .WithSummary("Create a job: a script of the project (path), optionally on a cron schedule in a time zone, with an overlap policy (skip, allow, queue), a time limit, retries with backoff, and a job it follows (after: {job, on: completed|failed|ended}); or an interactive one (interactive: true, appType, idleTimeoutSeconds), served as an app at /jobs/<workspace>/<project>/<job>/ (Idempotency-Key supported)");
        jobs.MapGet("/{job}", Get).WithName("GetJob").WithSummary("A job by name or id, with its next fire times and active runs");
        jobs.MapPost("/{job}/pause", async (string project, string job, HttpContext http, Orleans.IGrainFactory grains, ProjectStore projects, RunStore runs) =>
            await (await FindAsync(project, job, http, grains, projects, runs)).Pause()).WithName("PauseJob").WithSummary("Stop scheduling runs");
        jobs.MapPost("/{job}/resume", async (string project, string job, HttpContext http, Orleans.IGrainFactory grains, ProjectStore projects, RunStore runs) =>
            await (await FindAsync(project, job, http, grains, projects, runs)).Resume()).WithName("ResumeJob").WithSummary("Schedule runs again, from the next tick");
        jobs.MapPatch("/{job}", Update).WithName("UpdateJob")
            .WithSummary("Change schedule ({cron, timeZone}, or null to cancel it; a new schedule counts from its next tick), overlap, catchUp, timeLimitSeconds, retries, retryDelaySeconds, idleTimeoutSeconds");
        jobs.MapDelete("/{job}/schedule", async (string project, string job, HttpContext http, Orleans.IGrainFactory grains, ProjectStore projects, RunStore runs, IConfiguration configuration) =>
                await (await FindAsync(project, job, http, grains, projects, runs)).Update(new JobUpdate(true, null, null, null, null, null, null, null, MaxTimeLimit(configuration), [])))
            .WithName("CancelJobSchedule").WithSummary("Cancel the job's schedule; it still runs on demand");
        jobs.MapDelete("/{job}", Delete).WithName("DeleteJob").WithSummary("Delete a job, cancelling its active runs");
        jobs.MapPost("/{job}/runs", Trigger).WithName("TriggerRun").WithSummary("Run the job now; an interactive job starts serving (or answers the run already serving)");
        jobs.MapGet("/{job}/public-link", async (string project, string job, HttpContext http, Orleans.IGrainFactory grains, ProjectStore projects, RunStore runs) =>
            (await (await FindAsync(project, job, http, grains, projects, runs)).Get()).PublicLink ?? throw new ValidationException("job", "Only interactive jobs have public links."))
            .WithName("GetPublicLink").WithSummary("Whether the interactive job's public link is enabled, and until when (its token is shown only when it is made)");
        jobs.MapPut("/{job}/public-link", EnableLink).WithName("EnablePublicLink").RequireRole(Role.Owner)
            .WithSummary("Make a public link to the interactive job (/p/<token>/), optionally expiring (expiresAt or expiresInSeconds); anyone with it can view the app. Replaces the earlier link");
        jobs.MapDelete("/{job}/public-link", async (string project, string job, HttpContext http, Orleans.IGrainFactory grains, ProjectStore projects, RunStore runs) =>
            await (await FindAsync(project, job, http, grains, projects, runs)).DisablePublicLink())
            .WithName("DisablePublicLink").RequireRole(Role.Owner).WithSummary("Revoke the public link; it stops working at once");
        jobs.MapGet("/{job}/runs", ListRuns).WithName("ListRuns").WithSummary("The job's runs, newest first");

        api.MapGet($"/workspaces/{{{Access.WorkspaceParameter}}}/overview",
                (HttpContext http, RunStore runs, TimeProvider time) => runs.OverviewAsync(http.User.Caller().WorkspaceId, time.GetUtcNow(), http.RequestAborted))
            .WithName("GetOverview").WithTags("Runs").WithSummary("The workspace's jobs with their next and last run, and its 100 most recent runs");

        api.MapPost($"/workspaces/{{{Access.WorkspaceParameter}}}/projects/{{project}}/runs", Launch).WithName("LaunchScript").WithTags("Jobs")
            .WithSummary("Run a script of the project now by its path ({\"path\": \"pipelines/load.py\"}); its job is created on the first launch, named after the path");
        api.MapPost($"/workspaces/{{{Access.WorkspaceParameter}}}/projects/{{project}}/serve", Serve).WithName("ServeScript").WithTags("Jobs")
            .WithSummary("Serve a script of the project as an app by its path ({\"path\": \"notebooks/explore.py\", \"appType\": \"marimo\"}); its interactive job is created on the first serve, named after the path");

        var runs = api.MapGroup($"/workspaces/{{{Access.WorkspaceParameter}}}/runs").WithTags("Runs");
        runs.MapGet("/{run:guid}", GetRun).WithName("GetRun").WithSummary("A run: status, timestamps, exit code, duration, reason, revision");
        runs.MapPost("/{run:guid}/cancel", Cancel).WithName("CancelRun").WithSummary("Cancel a run: a pending one never starts, a running one is stopped with its whole process tree");
        runs.MapGet("/{run:guid}/logs", Logs).WithName("GetRunLogs").WithSummary("The run's last lines (?tail=N, default 100, at most 10000)");
        runs.MapGet("/{run:guid}/logs/follow", Follow).WithName("FollowRunLogs")
            .WithSummary("The run's lines as Server-Sent Events: the last ?tail=N first, then new ones as they are printed; an 'end' event once the run has ended and its log is complete");
        return api;
    }

    private static async Task<IReadOnlyList<JobView>> List(string project, HttpContext http, Orleans.IGrainFactory grains, ProjectStore projects, RunStore runs)
    {
        var projectId = await ProjectIdAsync(project, http, projects);
        var views = new List<JobView>();
        foreach (var id in await runs.JobsAsync(projectId, http.RequestAborted))
            views.Add(await grains.GetGrain<IJobGrain>(id).Get());
        return views;
    }

    private static async Task<IResult> Create(
        string project, CreateJobRequest request, HttpContext http, Orleans.IGrainFactory grains, ProjectStore projects, RunStore runs, IConfiguration configuration,
        Runtime.Execution.Workloads.ExecutionOptions execution)
    {
        var caller = http.User.Caller();
        var projectId = await ProjectIdAsync(project, http, projects);
        var id = IdempotencyKey.NewId(http.Request, caller.WorkspaceId, "create-job");
        if (request.Name is { } name && await runs.FindJobAsync(projectId, name.Trim(), http.RequestAborted) is { } existing && existing != id)
            throw new ConflictException("Job exists", $"The project already has a job named '{name.Trim()}'; choose another name.");
        var max = MaxTimeLimit(configuration);
        Guid? after = null;
        if (request.After is { } follow)
        {
            // A job of the same project, by name or id.
            after = follow.Job is null ? null : await runs.FindJobAsync(projectId, follow.Job, http.RequestAborted);
            if (after is null)
                throw new ValidationException("after.job", $"The project has no job '{follow.Job}' to follow.");
        }
        ServeOptions? serve = null;
        if (request.Interactive == true)
            serve = new ServeOptions(request.AppType, request.IdleTimeoutSeconds, IdleTimeout(configuration), await BasePathAsync(http, grains, projectId, request.Name?.Trim() ?? ""));
        else if (request.AppType is not null || request.IdleTimeoutSeconds is not null)
        {
            throw new ValidationException(request.AppType is not null ? "appType" : "idleTimeoutSeconds",
                "appType and idleTimeoutSeconds are for interactive jobs; add \"interactive\": true to serve the script as an app.");
        }
        var job = await grains.GetGrain<IJobGrain>(id).Create(new NewJob(caller.WorkspaceId, projectId, request.Name, request.Path,
            request.Schedule?.Cron, request.Schedule?.TimeZone, request.Overlap, request.CatchUp, request.TimeLimitSeconds, max,
            request.Retries, request.RetryDelaySeconds, after, request.After?.On, serve, ExecutionBody.Check(request.Execution, execution)));
        return TypedResults.Created($"/api/workspaces/{caller.WorkspaceSlug}/projects/{project}/jobs/{job.Name}", job);
    }

    private static readonly HashSet<string> Changeable = new(StringComparer.Ordinal)
    {
        "schedule", "overlap", "catchUp", "timeLimitSeconds", "retries", "retryDelaySeconds", "idleTimeoutSeconds",
    };

    private static async Task<JobView> Update(
        string project, string job, System.Text.Json.JsonElement body, HttpContext http, Orleans.IGrainFactory grains, ProjectStore projects, RunStore runs, IConfiguration configuration)
    {
        if (body.ValueKind != System.Text.Json.JsonValueKind.Object)
            throw new ValidationException("body", "Send a JSON object with any of schedule, overlap, catchUp, timeLimitSeconds, retries, retryDelaySeconds, idleTimeoutSeconds.");
        JobRequestBody.Check(body, Changeable);
        var scheduleGiven = body.TryGetProperty("schedule", out var schedule);
        var update = new JobUpdate(scheduleGiven, JobRequestBody.Text(schedule, "cron"), JobRequestBody.Text(schedule, "timeZone"), JobRequestBody.Text(body, "overlap"),
            JobRequestBody.Bool(body, "catchUp"), JobRequestBody.Int(body, "timeLimitSeconds"), JobRequestBody.Int(body, "retries"), JobRequestBody.Int(body, "retryDelaySeconds"),
            MaxTimeLimit(configuration), body.EnumerateObject().Select(p => p.Name).Where(n => !Changeable.Contains(n)).ToList(), JobRequestBody.Int(body, "idleTimeoutSeconds"));
        if (scheduleGiven && schedule.ValueKind != System.Text.Json.JsonValueKind.Null && update.Cron is null)
            throw new ValidationException("schedule.cron", "schedule needs a cron expression, or null to cancel the schedule.");
        return await (await FindAsync(project, job, http, grains, projects, runs)).Update(update);
    }

    public sealed record LaunchRequest(string? Path);

    public sealed record ServeRequest(string? Path, string? AppType, int? IdleTimeoutSeconds);

    /// <summary>An interactive run and the address its app is served at.</summary>
    public sealed record Serving(RunSummary Run, string Url);

    private static async Task<IResult> Launch(
        string project, LaunchRequest request, HttpContext http, Orleans.IGrainFactory grains, ProjectStore projects, RunStore runs, IConfiguration configuration, EnvironmentGate gate)
    {
        await RequireOnlineAsync(project, http, grains, projects, gate);
        var (job, _) = await JobOfPathAsync(project, request.Path, null, http, grains, projects, runs, configuration);
        var run = await job.Trigger(RunTriggers.Api);
        return TypedResults.Accepted($"/api/workspaces/{http.User.Caller().WorkspaceSlug}/runs/{run.Id}", run);
    }

    private static async Task<IResult> Serve(
        string project, ServeRequest request, HttpContext http, Orleans.IGrainFactory grains, ProjectStore projects, RunStore runs, IConfiguration configuration, EnvironmentGate gate)
    {
        await RequireOnlineAsync(project, http, grains, projects, gate);
        var (job, view) = await JobOfPathAsync(project, request.Path, request, http, grains, projects, runs, configuration);
        var run = await job.Trigger(RunTriggers.Api);
        return TypedResults.Accepted($"/api/workspaces/{http.User.Caller().WorkspaceSlug}/runs/{run.Id}", new Serving(run, view.Url!));
    }

    // The first launch (or serve) of a path creates its job, named after the path; later ones run it again.
    private static async Task<(IJobGrain Job, JobView View)> JobOfPathAsync(
        string project, string? path, ServeRequest? serve, HttpContext http, Orleans.IGrainFactory grains, ProjectStore projects, RunStore runs, IConfiguration configuration)
    {
        var caller = http.User.Caller();
        var projectId = await ProjectIdAsync(project, http, projects);
        var validation = new Validation();
        Runtime.Grains.Sources.GitInput.RelativePath(validation, "path", path);
        validation.ThrowIfInvalid();
        var name = Runtime.Grains.Naming.Slug.From(System.IO.Path.ChangeExtension(path!, null));
        if (await runs.FindJobAsync(projectId, name, http.RequestAborted) is { } existing)
        {
            var job = grains.GetGrain<IJobGrain>(existing);
            var view = await job.Get();
            if (view.Path != path)
                throw new ConflictException("Job name taken", $"Job '{name}' of this project runs {view.Path}; create a job for {path} with another name.");
            if (view.Interactive != serve is not null)
            {
                throw new ConflictException("Job kind differs", view.Interactive
                    ? $"Job '{name}' serves {path} as an app; serve it (POST …/serve) or create a batch job for it with another name."
                    : $"Job '{name}' runs {path} to its end; launch it (POST …/runs) or create an interactive job for it with another name.");
            }
            return (job, view);
        }
        // Derived from the project and the path, so that two first launches at once create one job.
        var created = grains.GetGrain<IJobGrain>(IdempotencyKey.Derive(projectId, (serve is null ? "launch/" : "serve/") + path));
        var options = serve is null ? null
            : new ServeOptions(serve.AppType, serve.IdleTimeoutSeconds, IdleTimeout(configuration), await BasePathAsync(http, grains, projectId, name));
        return (created, await created.Create(new NewJob(caller.WorkspaceId, projectId, name, path, null, null, null, null, null, MaxTimeLimit(configuration),
            Serve: options)));
    }

    // Where an interactive job is served: /jobs/<workspace>/<project>/<job>.
    private static async Task<string> BasePathAsync(HttpContext http, Orleans.IGrainFactory grains, Guid projectId, string jobName) =>
        $"{JobProxy.Prefix}/{http.User.Caller().WorkspaceSlug}/{(await grains.GetGrain<IProjectGrain>(projectId).Get()).Slug}/{jobName}";

    private static TimeSpan IdleTimeout(IConfiguration configuration) => configuration.GetValue<TimeSpan?>(IdleTimeoutKey) ?? TimeSpan.FromMinutes(5);

    // The operator's EXECUTION_TIMEOUT_MS, when set, is a ceiling too.
    private static TimeSpan MaxTimeLimit(IConfiguration configuration)
    {
        var max = configuration.GetValue<TimeSpan?>(MaxTimeLimitKey) ?? TimeSpan.FromHours(24);
        return Runtime.Execution.Workloads.ExecutionOptions.Read(configuration).Timeout is { } timeout && timeout < max ? timeout : max;
    }

    private static async Task<JobView> Get(string project, string job, HttpContext http, Orleans.IGrainFactory grains, ProjectStore projects, RunStore runs) =>
        await (await FindAsync(project, job, http, grains, projects, runs)).Get();

    private static async Task<IResult> Delete(string project, string job, HttpContext http, Orleans.IGrainFactory grains, ProjectStore projects, RunStore runs)
    {
        await (await FindAsync(project, job, http, grains, projects, runs)).Delete();
        return TypedResults.NoContent();
    }

    private static async Task<IResult> Trigger(string project, string job, HttpContext http, Orleans.IGrainFactory grains, ProjectStore projects, RunStore runs, EnvironmentGate gate)
    {
        var grain = await FindAsync(project, job, http, grains, projects, runs);
        await RequireOnlineAsync(project, http, grains, projects, gate);
        var run = await grain.Trigger(RunTriggers.Manual);
        return TypedResults.Accepted($"/api/workspaces/{http.User.Caller().WorkspaceSlug}/runs/{run.Id}", run);
    }

    private static async Task<Page<RunView>> ListRuns(
        string project, string job, int? limit, string? cursor, HttpContext http, ProjectStore projects, RunStore runs)
    {
        var projectId = await ProjectIdAsync(project, http, projects);
        var jobId = await runs.FindJobAsync(projectId, job, http.RequestAborted) ?? throw new NotFoundException("job", job);
        return await runs.RunsAsync(jobId, Cursor.Decode(cursor), Cursor.Limit(limit), http.RequestAborted);
    }

    private static async Task<RunView> GetRun(Guid run, HttpContext http, RunStore runs) =>
        await runs.RunAsync(http.User.Caller().WorkspaceId, run, http.RequestAborted) ?? throw new NotFoundException("run", run.ToString());

    private static async Task<IResult> Cancel(Guid run, HttpContext http, Orleans.IGrainFactory grains, RunStore runs)
    {
        var view = await GetRun(run, http, runs);
        var summary = await grains.GetGrain<IJobGrain>(view.JobId).CancelRun(run);
        return TypedResults.Accepted((string?)null, summary);
    }

    private static async Task<IReadOnlyList<StoredLogLine>> Logs(Guid run, int? tail, HttpContext http, RunStore runs, WorkloadLogStore logs)
    {
        var lines = tail ?? 100;
        if (lines is < 1 or > 10_000)
            throw new ValidationException("tail", "tail must be between 1 and 10000.");
        await GetRun(run, http, runs);
        return await logs.TailAsync($"run/{run:D}", lines, http.RequestAborted);
    }

    private static async Task Follow(Guid run, int? tail, HttpContext http, RunStore runs, WorkloadLogStore logs, LogWakeups wakeups)
    {
        var lines = tail ?? 100;
        if (lines is < 0 or > 10_000)
            throw new ValidationException("tail", "tail must be between 0 and 10000.");
        var workspace = http.User.Caller().WorkspaceId;
        await GetRun(run, http, runs);
        await LogStream.FollowAsync(http, logs, wakeups, $"run/{run:D}", lines,
            async ct => (await runs.RunAsync(workspace, run, ct))?.EndedAt is not null);
    }

    // Nothing starts on an Offline environment: the project's runs go where the project runs.
    private static async Task RequireOnlineAsync(string project, HttpContext http, Orleans.IGrainFactory grains, ProjectStore projects, EnvironmentGate gate) =>
        await gate.RequireOnlineAsync((await grains.GetGrain<IProjectGrain>(await ProjectIdAsync(project, http, projects)).Get()).Environment, http.RequestAborted);

    private static async Task<Guid> ProjectIdAsync(string project, HttpContext http, ProjectStore projects) =>
        await projects.FindAsync(http.User.Caller().WorkspaceId, project, http.RequestAborted) ?? throw new NotFoundException("project", project);

    private static async Task<IJobGrain> FindAsync(string project, string job, HttpContext http, Orleans.IGrainFactory grains, ProjectStore projects, RunStore runs)
    {
        var projectId = await ProjectIdAsync(project, http, projects);
        return grains.GetGrain<IJobGrain>(await runs.FindJobAsync(projectId, job, http.RequestAborted) ?? throw new NotFoundException("job", job));
    }
}
