using System.Collections.Concurrent;
using Runtime.Execution.Workloads;
using Runtime.Execution.Supervision;

namespace Runtime.Execution.Agents;

/// <summary>
/// What a runner holds now, by start assignment: starts being prepared, apps under supervision, runs in
/// progress, and stops that came before their start was done. Heartbeats list it; stops look things up in it.
/// </summary>
internal sealed class WorkloadRegistry
{
    /// <summary>An app under supervision and its folder.</summary>
    public sealed record App(Guid AssignmentId, string WorkloadId, AppSupervisor Supervisor, string Directory, int Port)
    {
        /// <summary>Its start was reported ready (or it was taken over running).</summary>
        public bool Ready { get; set; }
    }

    /// <summary>A batch run's process and the handling that reports its end.</summary>
    public sealed record Run(Guid AssignmentId, string WorkloadId, IRunningWorkload Process);

    public ConcurrentDictionary<Guid, App> Apps { get; } = new();

    public ConcurrentDictionary<Guid, Run> Runs { get; } = new();

    /// <summary>Starts and runs being prepared (downloading, unpacking, building their Python environment).</summary>
    public ConcurrentDictionary<Guid, byte> Preparing { get; } = new();

    /// <summary>Starts asked to stop before they ran (or, for a run, while it stops): they do not start.</summary>
    public ConcurrentDictionary<Guid, byte> Stopped { get; } = new();

    /// <summary>The handling of each run in progress, to its report: a stopping agent waits for them.</summary>
    public ConcurrentDictionary<Guid, Task> RunHandlers { get; } = new();

    /// <summary>The start assignments this runner runs or is preparing, for heartbeats.</summary>
    public IReadOnlyList<Guid> Current() => Apps.Keys.Concat(Runs.Keys).Concat(Preparing.Keys).Distinct().Order().ToList();

    public bool Holds(Guid assignmentId) => Apps.ContainsKey(assignmentId) || Runs.ContainsKey(assignmentId) || Preparing.ContainsKey(assignmentId);
}
