using Runtime.Grains.StateMachines;

namespace Runtime.Grains.Jobs;

/// <summary>A job's and its runs' state machines, as data.</summary>
public sealed partial class JobGrain
{
    public static readonly TransitionTable<JobStatus, JobOperation> Transitions = new TransitionTable<JobStatus, JobOperation>("job")
        .Allow(JobStatus.Active, JobOperation.Pause, JobStatus.Paused)
        .Allow(JobStatus.Paused, JobOperation.Resume, JobStatus.Active)
        .Hint(JobStatus.Paused, JobOperation.Pause, "It is already paused.")
        .Hint(JobStatus.Active, JobOperation.Resume, "It is not paused.");

    /// <summary>
    /// A run is created Pending (Starting when the silos' agents take it). Its agent starts it; it ends
    /// Completed, Failed or Cancelled from any state before that. An ended run takes nothing more: a
    /// report about it that comes again is ignored, a cancel is a 409.
    /// </summary>
    public static readonly TransitionTable<RunStatus, RunOperation> RunTransitions = new TransitionTable<RunStatus, RunOperation>("run")
        .Allow(RunStatus.Pending, RunOperation.Start, RunStatus.Running)
        .Allow(RunStatus.Starting, RunOperation.Start, RunStatus.Running)
        .Allow(RunStatus.Pending, RunOperation.Complete, RunStatus.Completed)
        .Allow(RunStatus.Starting, RunOperation.Complete, RunStatus.Completed)
        .Allow(RunStatus.Running, RunOperation.Complete, RunStatus.Completed)
        .Allow(RunStatus.Pending, RunOperation.Fail, RunStatus.Failed)
        .Allow(RunStatus.Starting, RunOperation.Fail, RunStatus.Failed)
        .Allow(RunStatus.Running, RunOperation.Fail, RunStatus.Failed)
        .Allow(RunStatus.Pending, RunOperation.Cancel, RunStatus.Cancelled)
        .Allow(RunStatus.Starting, RunOperation.Cancel, RunStatus.Cancelled)
        .Allow(RunStatus.Running, RunOperation.Cancel, RunStatus.Cancelled)
        .Hint(RunStatus.Running, RunOperation.Start, "It is already running.")
        .Hint(RunStatus.Completed, "It has already ended.")
        .Hint(RunStatus.Failed, "It has already ended.")
        .Hint(RunStatus.Cancelled, "It has already ended.");
}
