using Docker.DotNet.Models;
using Runtime.Execution.Workloads;

namespace Runtime.Execution.Docker;

/// <summary>
/// The engine's stats as <c>docker stats</c> shows them: CPU from the change in the container's CPU time
/// against the machine's between the engine's two samples, memory without the reclaimable page cache.
/// </summary>
internal static class ContainerStats
{
    /// <param name="limited">Whether the container has a memory limit of its own; without one the engine reports the machine's memory, which is no limit of the workload's.</param>
    public static WorkloadStats From(ContainerStatsResponse sample, bool limited)
    {
        var cpu = 0.0;
        var used = (double)(sample.CPUStats?.CPUUsage?.TotalUsage ?? 0) - (sample.PreCPUStats?.CPUUsage?.TotalUsage ?? 0);
        var system = (double)(sample.CPUStats?.SystemUsage ?? 0) - (sample.PreCPUStats?.SystemUsage ?? 0);
        var cores = sample.CPUStats?.OnlineCPUs is > 0 and var online ? online : (uint)Environment.ProcessorCount;
        // The previous sample is empty when the engine took only one: no CPU figure then, rather than a wrong one.
        if (used > 0 && system > 0 && sample.PreCPUStats?.SystemUsage > 0)
            cpu = used / system * cores * 100;
        var usage = sample.MemoryStats?.Usage ?? 0;
        var stats = sample.MemoryStats?.Stats ?? new Dictionary<string, ulong>();
        // cgroup v1 names it total_inactive_file, v2 inactive_file: page cache the kernel can take back.
        var cache = stats.TryGetValue("total_inactive_file", out var v1) ? v1 : stats.TryGetValue("inactive_file", out var v2) ? v2 : 0;
        var memory = usage > cache ? usage - cache : usage;
        long? limit = limited && sample.MemoryStats?.Limit is > 0 and < long.MaxValue and var bytes ? (long)bytes : null;
        return new WorkloadStats(cpu, (long)memory, limit);
    }

    /// <summary>Keeps the last report, synchronously (<see cref="Progress{T}"/> would post it later).</summary>
    internal sealed class Latest : IProgress<ContainerStatsResponse>
    {
        public ContainerStatsResponse? Value { get; private set; }

        public void Report(ContainerStatsResponse value) => Value = value;
    }
}
