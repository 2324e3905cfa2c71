using Runtime.Execution.Processes;

namespace Runtime.Execution.Workloads;

/// <summary>A started workload, whatever runs it. Disposing it stops it (and removes its container).</summary>
public interface IRunningWorkload : IAsyncDisposable
{
    /// <summary>What identifies it for an adoption after the agent restarts; recorded before it is ready.</summary>
    WorkloadHandle Handle { get; }

    /// <summary>Completes once it has ended and its lines have been read to the end.</summary>
    Task<ProcessExit> Exited { get; }

    /// <summary>SIGTERM, then SIGKILL after <paramref name="grace"/> (the spec's stop grace when null); returns how it ended.</summary>
    Task<ProcessExit> StopAsync(string reason = "stopped", TimeSpan? grace = null);

    /// <summary>Its CPU and memory now; null once it has ended.</summary>
    Task<WorkloadStats?> StatsAsync(CancellationToken ct);
}
