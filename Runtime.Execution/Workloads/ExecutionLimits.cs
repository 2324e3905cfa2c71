using System.Globalization;
using Runtime.Execution.Docker;
using Runtime.Execution.Processes;

namespace Runtime.Execution.Workloads;

/// <summary>What a project or job asks for; each null leaves the operator's setting.</summary>
/// <param name="Executor"><c>process</c> or <c>docker</c>; the installation's choice when null.</param>
public sealed record ExecutionRequest(string? Executor = null, long? MemoryMb = null, double? CpuPercent = null, TimeSpan? Timeout = null, long? TmpfsMb = null);

/// <summary>What one workload gets: the operator's limits, tightened by its project's or job's request.</summary>
public sealed record ExecutionLimits(string Executor, long? MemoryBytes, double? CpuPercent, TimeSpan? TimeLimit, long TmpfsBytes)
{
    private const long MiB = 1024 * 1024;

    /// <summary>
    /// Combines the operator's limits with a request, which may tighten them (less memory, CPU, time or /tmp)
    /// and choose the executor, never loosen them.
    /// </summary>
    /// <param name="dockerEnabled">Whether this installation runs containers (<see cref="ExecutionOptions.UsesDocker"/>).</param>
    /// <exception cref="ExecutionRequestException">A request asks for more than the operator allows (naming the field and the limit), for a non-positive amount, or for an executor this installation lacks.</exception>
    public static ExecutionLimits Combine(ExecutionOptions options, ExecutionRequest request, bool dockerEnabled)
    {
        var errors = new Dictionary<string, string[]>();
        void Error(string field, string message) => errors[field] = [message];

        var executor = request.Executor ?? (dockerEnabled ? DockerExecutor.ExecutorName : ProcessExecutor.ExecutorName);
        if (executor is not (ProcessExecutor.ExecutorName or DockerExecutor.ExecutorName))
            Error("executor", $"The executor '{executor}' is not one of {ProcessExecutor.ExecutorName}, {DockerExecutor.ExecutorName}.");
        else if (executor == DockerExecutor.ExecutorName && !dockerEnabled)
            Error("executor", "The docker executor is not enabled on this installation (DOCKER_ENABLED, or no Docker engine answered).");

        var memory = Tightened(request.MemoryMb, options.MaxMemoryMb, "memoryMb", "MiB", "EXECUTION_MAX_MEMORY_MB", Error);
        var cpu = Tightened(request.CpuPercent, options.MaxCpuPercent, "cpuPercent", "% of a core", "EXECUTION_MAX_CPU_PERCENT", Error);
        var timeout = Tightened(request.Timeout?.TotalMilliseconds, options.Timeout?.TotalMilliseconds, "timeout", "ms", "EXECUTION_TIMEOUT_MS", Error);
        var tmpfs = Tightened(request.TmpfsMb, options.TmpfsMb, "tmpfsMb", "MiB", "EXECUTION_TMPFS_MB", Error);
        if (request.CpuPercent is { } asked && asked < 1)
            Error("cpuPercent", "The CPU limit must be at least 1% of a core.");
        if (errors.Count > 0)
            throw new ExecutionRequestException(errors);
        return new ExecutionLimits(executor, (long?)memory * MiB, cpu, timeout is { } ms ? TimeSpan.FromMilliseconds(ms) : null, (long)tmpfs!.Value * MiB);
    }

    /// <summary>The spec with these limits (the executor is chosen by the runner, which picks the matching <see cref="IWorkloadExecutor"/>).</summary>
    public ProcessSpec ApplyTo(ProcessSpec spec) =>
        spec with { MemoryLimit = MemoryBytes, CpuPercent = CpuPercent, TimeLimit = TimeLimit, TmpfsSize = TmpfsBytes };

    // The request when it is within the limit, the limit when nothing is asked; asking for more is an error naming the limit.
    private static double? Tightened(double? asked, double? limit, string field, string unit, string variable, Action<string, string> error)
    {
        if (asked is not { } value)
            return limit;
        if (value <= 0 || double.IsNaN(value))
        {
            error(field, $"{field} must be positive, not {Format(value)}.");
            return null;
        }
        if (limit is { } most && value > most)
        {
            error(field, $"{field} asks for {Format(value)} {unit}, more than this installation's limit of {Format(most)} {unit} ({variable}); a request can only lower it.");
            return null;
        }
        return value;
    }

    private static string Format(double value) => value.ToString("0.##", CultureInfo.InvariantCulture);
}
