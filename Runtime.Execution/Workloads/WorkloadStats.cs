namespace Runtime.Execution.Workloads;

/// <summary>What a workload uses now.</summary>
/// <param name="CpuPercent">Of one core, as <c>docker stats</c> and <c>top</c> count it: 200 is two cores busy.</param>
/// <param name="MemoryLimitBytes">Null when it has no limit of its own.</param>
public sealed record WorkloadStats(double CpuPercent, long MemoryBytes, long? MemoryLimitBytes);
