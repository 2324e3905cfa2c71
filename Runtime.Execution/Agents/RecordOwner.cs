using Runtime.Execution.Processes;

namespace Runtime.Execution.Agents;

/// <summary>
/// Who runs a workload an agent recorded on disk: the agent's process (pid and start time, so that a later
/// process with the same pid is not taken for it) and the cluster it belongs to. Agents of one cluster share a
/// data directory and take over each other's workloads.
/// </summary>
/// <param name="Cluster">The agents that may take it over: an installation (<c>installation/&lt;id&gt;</c>) for
/// the silos' embedded agents, an agent's own identity (<c>agent/&lt;id&gt;</c>) for a remote agent.</param>
public sealed record RecordOwner(string Cluster, int Pid, long StartTime)
{
    /// <summary>This process, as an agent of <paramref name="cluster"/>.</summary>
    public static RecordOwner Current(string cluster) =>
        new(cluster, Environment.ProcessId, ProcessTable.StartTime(Environment.ProcessId) ?? 0);

    /// <summary>Whether the agent that owns the workload is gone (a later process with its pid is not it).</summary>
    [System.Text.Json.Serialization.JsonIgnore]
    public bool IsGone => ProcessTable.StartTime(Pid) != StartTime;
}
