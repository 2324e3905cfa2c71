using System.Text.Json.Serialization;

namespace Runtime.Execution.Workloads;

/// <summary>
/// What identifies a running workload so that an agent can take it over after a restart: the executor,
/// and for a process its pid with its start time (a pid alone may have been reused), for a container its
/// id. Stored in the agent's workload records as JSON.
/// </summary>
/// <param name="Pid">The process (and process group) id; 0 for a container.</param>
/// <param name="StartTime">The process's start time in clock ticks since boot; 0 for a container.</param>
/// <param name="ContainerId">The container's full id; null for a process.</param>
public sealed record WorkloadHandle(
    [property: JsonPropertyName("executor")] string Executor,
    [property: JsonPropertyName("pid")] int Pid = 0,
    [property: JsonPropertyName("startTime")] long StartTime = 0,
    [property: JsonPropertyName("containerId")] string? ContainerId = null)
{
    public static WorkloadHandle ForProcess(int pid, long startTime) => new(ProcessExecutor.ExecutorName, pid, startTime);

    public static WorkloadHandle ForContainer(string containerId) => new(Docker.DockerExecutor.ExecutorName, ContainerId: containerId);

    /// <summary>For a log line: <c>pid 1234</c> or <c>container 0123456789ab</c>.</summary>
    public override string ToString() => ContainerId is { } id ? $"container {id[..Math.Min(12, id.Length)]}" : $"pid {Pid}";
}
