using Runtime.Execution.Logs;

namespace Runtime.Execution.Agents;

/// <summary>
/// How an <see cref="AgentRunner"/> talks to the control plane. Two channels feed the one runner: in-process
/// (an agent embedded in a silo: claims from PostgreSQL, reports to grains, archives from the blob store) and
/// HTTP (the remote <c>runtime-agent</c>: the agent gateway). The runner does everything else the same way.
/// </summary>
public interface IAgentChannel
{
    /// <summary>Who claims: what the claims and reports name.</summary>
    Guid AgentId { get; }

    /// <summary>Where workloads' lines go (shipped to the log store).</summary>
    ILogSink Logs { get; }

    /// <summary>Waits (at most <paramref name="timeout"/>) until every line written so far is stored; false when some were not.</summary>
    Task<bool> FlushLogsAsync(TimeSpan timeout);

    /// <summary>A revision archive (tar.gz) by its hash.</summary>
    Task<Stream> OpenArchiveAsync(string hash, CancellationToken ct);

    /// <summary>What happened to a workload. It must arrive: the channel tries again until its owner takes it (or is gone).</summary>
    Task ReportAsync(AgentReport report);

    /// <summary>The agent is done with an assignment (a start: once its app is ready or failed).</summary>
    Task CompleteAsync(Guid assignmentId, bool succeeded, object? result);

    /// <summary>
    /// Makes this agent the holder of a workload another agent of the same cluster recorded and left (it died,
    /// or stopped it on its way out). False when the workload is no longer wanted, or can only be lost: the
    /// runner then ends what is left of it.
    /// </summary>
    Task<bool> TakeOverAsync(WorkloadRecord record, CancellationToken ct);
}
