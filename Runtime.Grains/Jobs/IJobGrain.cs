namespace Runtime.Grains.Jobs;

/// <summary>
/// A project's script run on demand or on a schedule, or served as an app (interactive); owns its runs'
/// state machines, its schedule reminder, an interactive run's idle timeout and its public link.
/// </summary>
[Orleans.Alias("job")]
public interface IJobGrain : Assignments.IWorkloadOwner
{
    Task<JobView> Create(NewJob job);

    [Orleans.Concurrency.ReadOnly]
    Task<JobView> Get();

    /// <summary>Changes the schedule (from its next tick; a null cron removes it), overlap, catch-up, time limit or retries.</summary>
    Task<JobView> Update(JobUpdate update);

    Task<JobView> Pause();

    Task<JobView> Resume();

    Task Delete();

    /// <summary>
    /// Starts a run now (manual, api or visit trigger), whatever the overlap policy. An interactive job
    /// serves one run at a time: while one is active, that one is answered.
    /// </summary>
    Task<RunSummary> Trigger(string trigger);

    /// <summary>Where the proxy sends an interactive job's traffic, and why it cannot.</summary>
    [Orleans.Concurrency.ReadOnly]
    Task<JobRoute> Route();

    /// <summary>From the Api: the interactive run was used just now (a proxied request, an open WebSocket).</summary>
    Task Visited();

    /// <summary>From itself, when the interactive run may have been idle for its timeout: stops it if so.</summary>
    Task IdleCheck(Guid runId);

    /// <summary>Lets anyone holding the token (its hash given) view the interactive job until <paramref name="expiresAt"/>; replaces an earlier link.</summary>
    Task<PublicLinkView> EnablePublicLink(string tokenHash, DateTimeOffset? expiresAt);

    /// <summary>Revokes the public link: it stops working at once.</summary>
    Task<PublicLinkView> DisablePublicLink();

    Task<RunSummary> CancelRun(Guid runId);

    /// <summary>From a job this one follows: its run ended as this one asked to be told.</summary>
    Task FollowUp(Guid upstreamJobId, Guid upstreamRunId);

    /// <summary>
    /// From an agent: the silo serving the interactive run of <paramref name="assignmentId"/> was stopped
    /// (the platform stopped, or the silo was scaled down) and ended it; the run Completes, as after an
    /// idle stop, and the next visit starts another.
    /// </summary>
    Task ServeEnded(Guid assignmentId, string reason);

    /// <summary>From a silo's sweep: the agent of an active run is gone; the run fails (and is retried if the job says so).</summary>
    Task AgentLost(Guid runId, string reason);

    /// <summary>From itself, after the retry delay: try the failed run again.</summary>
    Task Retry(Guid failedRunId, Guid firstRunId, int attempt);

    /// <summary>From a job that follows this one (or stops following).</summary>
    Task AddFollower(Follower follower);

    Task RemoveFollower(Guid jobId);

    /// <summary>From the project: what the run runs (revision, settings); the job queues it for an agent unless it was cancelled meanwhile.</summary>
    Task RunReady(RunSpec spec, string? warning);

    /// <summary>From the project: what an interactive run serves (revision, <c>access</c> settings); the job queues it for an agent.</summary>
    Task ServeReady(Guid runId, Projects.StartSpec spec, string environment, string? warning);

    /// <summary>From itself, when a run queued for a custom environment should have been taken by its agent: it fails if none did.</summary>
    Task StartDeadline(Guid runId);

    /// <summary>From the project: the run cannot start.</summary>
    Task RunNotStarted(Guid runId, string reason);

    /// <summary>From the agent, as it spawns the run's process: the run is Running, and <paramref name="tokenHash"/> is the SHA-256 of its own token (RUNTIME_RUN_TOKEN).</summary>
    Task RunStarted(Guid runId, string tokenHash);

    /// <summary>From the agent: the run's process ended (<paramref name="stopReason"/> when it was stopped: cancelled, time limit).</summary>
    Task RunEnded(Guid runId, int exitCode, string? stopReason, string? lastLines);
}
