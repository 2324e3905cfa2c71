namespace Runtime.Execution.Processes;

/// <summary>One workload as a process: an argument vector (never a shell string) and what it runs with.</summary>
/// <param name="Secrets">Values masked as <c>***</c> in every captured line.</param>
/// <param name="TimeLimit">Past it the workload is stopped with the reason "time limit".</param>
/// <param name="MemoryLimit">Bytes of resident memory the whole process group may use; past it the workload is stopped with the reason "memory limit".</param>
/// <param name="OutputDirectory">Where stdout and stderr are written (<c>stdout.log</c>, <c>stderr.log</c>) and followed from; a temporary folder when null.</param>
public sealed record ProcessSpec(
    string Id,
    IReadOnlyList<string> Command,
    string WorkingDirectory,
    IReadOnlyDictionary<string, string> Environment,
    IReadOnlyList<string>? Secrets = null,
    TimeSpan? TimeLimit = null,
    TimeSpan? StopGrace = null,
    long? MemoryLimit = null,
    string? OutputDirectory = null)
{
    public static readonly TimeSpan DefaultStopGrace = TimeSpan.FromSeconds(10);

    /// <summary>A bad spec is an <see cref="ArgumentException"/> saying which part.</summary>
    public void Validate()
    {
        if (Command.Count == 0 || string.IsNullOrWhiteSpace(Command[0]))
            throw new ArgumentException("The command is empty.", nameof(Command));
        if (!Path.IsPathRooted(WorkingDirectory))
            throw new ArgumentException($"The working directory must be absolute, not '{WorkingDirectory}'.", nameof(WorkingDirectory));
        if (TimeLimit is { } limit && limit <= TimeSpan.Zero)
            throw new ArgumentException("The time limit must be positive.", nameof(TimeLimit));
        if (MemoryLimit is <= 0)
            throw new ArgumentException("The memory limit must be positive.", nameof(MemoryLimit));
        if (OutputDirectory is not null && !Path.IsPathRooted(OutputDirectory))
            throw new ArgumentException($"The output directory must be absolute, not '{OutputDirectory}'.", nameof(OutputDirectory));
    }
}

/// <summary>How a workload ended: its exit code (128 + n when killed by signal n) and, when we stopped it, why.</summary>
public sealed record ProcessExit(int ExitCode, string? StopReason);
