namespace Runtime.Grains.Execution;

/// <summary>
/// What a project (for its app and, unless a job says otherwise, its runs) or a job asks of the execution plane:
/// the executor (<c>process</c> or <c>docker</c>), tighter limits, an image. Each null leaves the operator's
/// setting; a request may lower a limit, never raise it (checked where it is made, and again by the agent).
/// </summary>
[Orleans.GenerateSerializer]
public sealed record ExecutionChoice(string? Executor = null, long? MemoryMb = null, double? CpuPercent = null, long? TmpfsMb = null, string? Image = null)
{
    /// <summary>Each of <paramref name="overrides"/>' fields that is set, over this one's.</summary>
    public ExecutionChoice With(ExecutionChoice? overrides) => overrides is null ? this : new(
        overrides.Executor ?? Executor, overrides.MemoryMb ?? MemoryMb, overrides.CpuPercent ?? CpuPercent, overrides.TmpfsMb ?? TmpfsMb, overrides.Image ?? Image);

    /// <summary>The job's choice over its project's.</summary>
    public static ExecutionChoice? Combine(ExecutionChoice? project, ExecutionChoice? job) => project is null ? job : project.With(job);
}
