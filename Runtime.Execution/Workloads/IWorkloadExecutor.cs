using Runtime.Execution.Logs;
using Runtime.Execution.Processes;

namespace Runtime.Execution.Workloads;

/// <summary>
/// How an agent runs a workload (DESIGN §4): <c>process</c>, a child process in its own process group,
/// or <c>docker</c>, a container. Both take the same <see cref="ProcessSpec"/>, so the runner renders a
/// workload once and the executor decides only where it runs.
/// </summary>
public interface IWorkloadExecutor
{
    /// <summary><see cref="ProcessExecutor.ExecutorName"/> or <see cref="Docker.DockerExecutor.ExecutorName"/>; what a <see cref="WorkloadHandle"/> names.</summary>
    string Name { get; }

    /// <summary>Starts the workload; its lines go to <paramref name="sink"/> with its secrets masked.</summary>
    /// <exception cref="ArgumentException">The spec is invalid (the message names the part).</exception>
    /// <exception cref="WorkloadStartException">It could not be started for a reason an operator must fix.</exception>
    Task<IRunningWorkload> StartAsync(ProcessSpec spec, ILogSink sink, CancellationToken ct);

    /// <summary>
    /// Takes over a workload that another agent (or this one before a restart) started, following its
    /// lines from now on; null when it is gone. The spec's time limit counts from now: give it the time left.
    /// </summary>
    Task<IRunningWorkload?> AdoptAsync(ProcessSpec spec, WorkloadHandle handle, ILogSink sink, CancellationToken ct);
}
