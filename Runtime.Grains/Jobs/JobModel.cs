using Runtime.Grains.Settings;

namespace Runtime.Grains.Jobs;

public enum JobStatus
{
    Active,
    Paused,
}

/// <summary>What can be done to a job (<see cref="JobGrain.Transitions"/>).</summary>
public enum JobOperation
{
    Pause,
    Resume,
}

/// <summary>What a scheduled fire does while a run of the job is still active.</summary>
public enum OverlapPolicy
{
    Skip,
    Allow,
    Queue,
}

/// <summary>Where a run stands (DESIGN §3).</summary>
public enum RunStatus
{
    Pending,
    Starting,
    Running,
    Completed,
    Failed,
    Cancelled,
}

/// <summary>What moves a run on (<see cref="JobGrain.RunTransitions"/>): its agent starting it, and the ways it ends.</summary>
public enum RunOperation
{
    Start,
    Complete,
    Fail,
    Cancel,
}

public static class RunTriggers
{
    public const string Manual = "manual";
    public const string Schedule = "schedule";
    public const string Api = "api";
    public const string FollowUp = "follow-up";
    public const string Retry = "retry";

    /// <summary>A visit to an interactive job's address while it was not running.</summary>
    public const string Visit = "visit";
}

/// <summary>When a job's run ends this way, its followers run.</summary>
public enum FollowOn
{
    Completed,
    Failed,
    Ended,
}

/// <summary>A job that runs when this one's run ends as <paramref name="On"/> says.</summary>
[Orleans.GenerateSerializer]
public sealed record Follower(Guid JobId, FollowOn On);

public sealed class JobState
{
    public Guid WorkspaceId { get; set; }

    public Guid ProjectId { get; set; }

    public string Name { get; set; } = "";

    public string Path { get; set; } = "";

    public string? Cron { get; set; }

    public string TimeZone { get; set; } = "UTC";

    public OverlapPolicy Overlap { get; set; }

    /// <summary>Whether a fire that comes late (the silos were down across it) still runs: once, however many ticks were missed.</summary>
    public bool CatchUp { get; set; } = true;

    public TimeSpan TimeLimit { get; set; }

    /// <summary>The job's execution choice, over its project's; null: the project's.</summary>
    public Execution.ExecutionChoice? Execution { get; set; }

    public JobStatus Status { get; set; }

    public int LastNumber { get; set; }

    /// <summary>Runs not yet ended; ended ones live only in the <c>runs</c> table.</summary>
    public List<ActiveRun> Active { get; set; } = [];

    /// <summary>Failed runs are tried again this many times, after <see cref="RetryDelay"/>, doubling each time.</summary>
    public int Retries { get; set; }

    public TimeSpan RetryDelay { get; set; }

    /// <summary>The job whose run's end triggers this one (follow-up), and on which end.</summary>
    public Follower? After { get; set; }

    /// <summary>The jobs that follow this one.</summary>
    public List<Follower> Followers { get; set; } = [];

    /// <summary>Scheduled fires waiting for the active run to end (overlap policy queue).</summary>
    public int Queued { get; set; }

    public DateTimeOffset CreatedAt { get; set; }

    /// <summary>Served as a long-running app under <see cref="BasePath"/> (proxied) instead of run to its end.</summary>
    public bool Interactive { get; set; }

    /// <summary>The app template an interactive job is served with; null: the project's.</summary>
    public string? AppType { get; set; }

    /// <summary>An interactive run is stopped after this long with no proxied request and no open WebSocket.</summary>
    public TimeSpan IdleTimeout { get; set; }

    /// <summary>Where the proxy serves an interactive job (<c>/jobs/&lt;workspace&gt;/&lt;project&gt;/&lt;job&gt;</c>, no trailing slash).</summary>
    public string? BasePath { get; set; }

    /// <summary>The last proxied request (or open WebSocket) the Api reported for the running app.</summary>
    public DateTimeOffset? LastActivityAt { get; set; }

    /// <summary>Why the last interactive run failed, while no run is active (the proxy shows it instead of starting again at once).</summary>
    public string? LastFailure { get; set; }

    public DateTimeOffset? LastFailureAt { get; set; }

    /// <summary>The public link that lets anyone view an interactive job; only its token's hash is kept.</summary>
    public PublicLink? PublicLink { get; set; }
}

/// <summary>An enabled public link (<c>/p/&lt;token&gt;/</c>): the SHA-256 of its token, and until when it works.</summary>
[Orleans.GenerateSerializer]
public sealed record PublicLink(string TokenHash, DateTimeOffset CreatedAt, DateTimeOffset? ExpiresAt);

[Orleans.GenerateSerializer]
public sealed record PublicLinkView(bool Enabled, DateTimeOffset? CreatedAt, DateTimeOffset? ExpiresAt);

public sealed class ActiveRun
{
    public Guid Id { get; set; }

    public int Number { get; set; }

    public string Trigger { get; set; } = "";

    public RunStatus Status { get; set; }

    public Guid? AssignmentId { get; set; }

    public bool CancelRequested { get; set; }

    /// <summary>1 for a first try; a retry of a failed run counts on.</summary>
    public int Attempt { get; set; } = 1;

    /// <summary>The first run of the chain of retries this one belongs to.</summary>
    public Guid? RetryOf { get; set; }

    /// <summary>Where an interactive run's app answers, once it is Running.</summary>
    public string? Address { get; set; }

    /// <summary>An interactive run stopped because nobody used it; it ends Completed.</summary>
    public bool IdleStop { get; set; }

    /// <summary>The environment whose agent runs it (the project's).</summary>
    public string Environment { get; set; } = Projects.ProjectGrain.DefaultEnvironment;
}

/// <summary>What a "run" assignment carries to the agent; secrets still encrypted.</summary>
/// <param name="Configuration">The configuration version's files for the run's profile (secret ones still encrypted), or null when the project has none.</param>
[Orleans.GenerateSerializer]
public sealed record RunSpec(
    Guid RunId, Guid JobId, Guid ProjectId, Guid WorkspaceId, string PythonEnvironment, string Path, string Revision, string Archive,
    string Profile, ProfileSettings? Settings, TimeSpan TimeLimit, RunConfiguration? Configuration = null, string Environment = Projects.ProjectGrain.DefaultEnvironment,
    Execution.ExecutionChoice? Execution = null);

/// <summary>The configuration a run gets: its version, and the files for its profile.</summary>
[Orleans.GenerateSerializer]
public sealed record RunConfiguration(int Version, string Hash, IReadOnlyDictionary<string, Configurations.StoredConfigurationFile> Files);

/// <summary>What the job asks of its project: start this run from the project's current revision.</summary>
[Orleans.GenerateSerializer]
/// <param name="Execution">The job's own execution choice, over its project's.</param>
public sealed record RunRequest(Guid JobId, Guid RunId, string Path, TimeSpan TimeLimit, AppServe? Serve = null, Execution.ExecutionChoice? Execution = null);

/// <summary>An interactive run: served as an app with this template (null: the project's) under this base path.</summary>
[Orleans.GenerateSerializer]
public sealed record AppServe(string? AppType, string BasePath);

/// <summary>What makes a new job interactive: its app template (null: the project's), its idle timeout, where it is served.</summary>
[Orleans.GenerateSerializer]
public sealed record ServeOptions(string? AppType, int? IdleTimeoutSeconds, TimeSpan DefaultIdleTimeout, string BasePath);

/// <param name="After">The job (already resolved) whose runs trigger this one, with <paramref name="AfterOn"/> (completed, failed, ended).</param>
[Orleans.GenerateSerializer]
public sealed record NewJob(
    Guid WorkspaceId, Guid ProjectId, string? Name, string? Path, string? Cron, string? TimeZone, string? Overlap, bool? CatchUp, int? TimeLimitSeconds,
    TimeSpan MaxTimeLimit, int? Retries = null, int? RetryDelaySeconds = null, Guid? After = null, string? AfterOn = null, ServeOptions? Serve = null,
    Execution.ExecutionChoice? Execution = null);

/// <summary>What may change in a job; <paramref name="ScheduleGiven"/> with a null cron removes the schedule. Other fields are named in a 400.</summary>
[Orleans.GenerateSerializer]
public sealed record JobUpdate(
    bool ScheduleGiven, string? Cron, string? TimeZone, string? Overlap, bool? CatchUp, int? TimeLimitSeconds, int? Retries, int? RetryDelaySeconds,
    TimeSpan MaxTimeLimit, IReadOnlyList<string> OtherFields, int? IdleTimeoutSeconds = null);

[Orleans.GenerateSerializer]
public sealed record JobView(
    Guid Id, Guid ProjectId, string Name, string Path, JobSchedule? Schedule, string Overlap, bool CatchUp, int TimeLimitSeconds, JobStatus Status,
    int Runs, IReadOnlyList<RunSummary> Active, DateTimeOffset CreatedAt, int Retries, int RetryDelaySeconds, FollowView? After, IReadOnlyList<FollowView> Followers,
    bool Interactive, string? AppType, int? IdleTimeoutSeconds, string? Url, PublicLinkView? PublicLink, Execution.ExecutionChoice? Execution = null);

/// <summary>The proxy's view of an interactive job: where its running app answers, or why it does not.</summary>
/// <param name="LastFailure">Why the last run failed, when that was the last thing that happened.</param>
[Orleans.GenerateSerializer]
public sealed record JobRoute(
    Guid WorkspaceId, Guid ProjectId, string Name, string? BasePath, bool Interactive, RunStatus? Status, string? Address, TimeSpan IdleTimeout,
    string? LastFailure, DateTimeOffset? LastFailureAt);

[Orleans.GenerateSerializer]
public sealed record FollowView(Guid JobId, string On);

[Orleans.GenerateSerializer]
public sealed record JobSchedule(string Cron, string TimeZone, IReadOnlyList<DateTimeOffset> Next);

[Orleans.GenerateSerializer]
public sealed record RunSummary(Guid Id, int Number, string Trigger, RunStatus Status);

/// <param name="ScheduledFor">For a scheduled run, the tick it ran for (the first missed one for a catch-up after downtime).</param>
[Orleans.GenerateSerializer]
public sealed record RunView(
    Guid Id, Guid JobId, int Number, string Trigger, int Attempt, Guid? RetryOf, RunStatus Status, DateTimeOffset CreatedAt, DateTimeOffset? ScheduledFor, DateTimeOffset? StartedAt, DateTimeOffset? EndedAt,
    int? ExitCode, double? DurationSeconds, string? Reason, string? Warning, string? Revision, int? ConfigurationVersion);

[Orleans.GenerateSerializer]
public sealed record WorkspaceOverview(IReadOnlyList<JobOverview> Jobs, IReadOnlyList<RunView> RecentRuns);

[Orleans.GenerateSerializer]
public sealed record JobOverview(Guid Id, string? Project, string Name, string? Cron, JobStatus Status, DateTimeOffset? NextRunAt, LastRun? LastRun);

[Orleans.GenerateSerializer]
public sealed record LastRun(int Number, RunStatus Status, DateTimeOffset? EndedAt);
