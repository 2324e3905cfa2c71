using Runtime.Grains.Settings;

namespace Runtime.Grains.Jobs;

public enum JobStatus
{
    Active,
    Paused,
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

public static class RunTriggers
{
    public const string Manual = "manual";
    public const string Schedule = "schedule";
    public const string Api = "api";
    public const string FollowUp = "follow-up";
    public const string Retry = "retry";
}

/// <summary>When a job's run ends this way, its followers run.</summary>
public enum FollowOn
{
    Completed,
    Failed,
    Ended,
}

/// <summary>A job that runs when this one's run ends as <paramref name="On"/> says.</summary>
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
}

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
}

/// <summary>What a "run" assignment carries to the agent; secrets still encrypted.</summary>
/// <param name="Configuration">The configuration version's files for the run's profile (secret ones still encrypted), or null when the project has none.</param>
public sealed record RunSpec(
    Guid RunId, Guid JobId, Guid ProjectId, Guid WorkspaceId, string PythonEnvironment, string Path, string Revision, string Archive,
    string Profile, ProfileSettings? Settings, TimeSpan TimeLimit, RunConfiguration? Configuration = null);

/// <summary>The configuration a run gets: its version, and the files for its profile.</summary>
public sealed record RunConfiguration(int Version, string Hash, IReadOnlyDictionary<string, Configurations.StoredConfigurationFile> Files);

/// <summary>What the job asks of its project: start this run from the project's current revision.</summary>
public sealed record RunRequest(Guid JobId, Guid RunId, string Path, TimeSpan TimeLimit);

/// <param name="After">The job (already resolved) whose runs trigger this one, with <paramref name="AfterOn"/> (completed, failed, ended).</param>
public sealed record NewJob(
    Guid WorkspaceId, Guid ProjectId, string? Name, string? Path, string? Cron, string? TimeZone, string? Overlap, bool? CatchUp, int? TimeLimitSeconds,
    TimeSpan MaxTimeLimit, int? Retries = null, int? RetryDelaySeconds = null, Guid? After = null, string? AfterOn = null);

/// <summary>What may change in a job; <paramref name="ScheduleGiven"/> with a null cron removes the schedule. Other fields are named in a 400.</summary>
public sealed record JobUpdate(
    bool ScheduleGiven, string? Cron, string? TimeZone, string? Overlap, bool? CatchUp, int? TimeLimitSeconds, int? Retries, int? RetryDelaySeconds,
    TimeSpan MaxTimeLimit, IReadOnlyList<string> OtherFields);

public sealed record JobView(
    Guid Id, Guid ProjectId, string Name, string Path, JobSchedule? Schedule, string Overlap, bool CatchUp, int TimeLimitSeconds, JobStatus Status,
    int Runs, IReadOnlyList<RunSummary> Active, DateTimeOffset CreatedAt, int Retries, int RetryDelaySeconds, FollowView? After, IReadOnlyList<FollowView> Followers);

public sealed record FollowView(Guid JobId, string On);

public sealed record JobSchedule(string Cron, string TimeZone, IReadOnlyList<DateTimeOffset> Next);

public sealed record RunSummary(Guid Id, int Number, string Trigger, RunStatus Status);

/// <param name="ScheduledFor">For a scheduled run, the tick it ran for (the first missed one for a catch-up after downtime).</param>
public sealed record RunView(
    Guid Id, Guid JobId, int Number, string Trigger, int Attempt, Guid? RetryOf, RunStatus Status, DateTimeOffset CreatedAt, DateTimeOffset? ScheduledFor, DateTimeOffset? StartedAt, DateTimeOffset? EndedAt,
    int? ExitCode, double? DurationSeconds, string? Reason, string? Warning, string? Revision, int? ConfigurationVersion);

public sealed record WorkspaceOverview(IReadOnlyList<JobOverview> Jobs, IReadOnlyList<RunView> RecentRuns);

public sealed record JobOverview(Guid Id, string? Project, string Name, string? Cron, JobStatus Status, DateTimeOffset? NextRunAt, LastRun? LastRun);

public sealed record LastRun(int Number, RunStatus Status, DateTimeOffset? EndedAt);
