using Runtime.Execution.Docker;

namespace Runtime.Execution.Processes;

/// <summary>
/// One workload: an argument vector (never a shell string) and what it runs with, whichever executor
/// runs it. The parts after <paramref name="OutputDirectory"/> matter only in a container; the process
/// executor validates them and ignores them.
/// </summary>
/// <param name="Secrets">Values masked as <c>***</c> in every captured line.</param>
/// <param name="TimeLimit">Past it the workload is stopped with the reason "time limit".</param>
/// <param name="MemoryLimit">Bytes of memory the workload may use (a process group's resident memory; a container's memory, with no swap); past it the workload is stopped with the reason "memory limit".</param>
/// <param name="OutputDirectory">Where stdout and stderr are written (<c>stdout.log</c>, <c>stderr.log</c>) and followed from; a temporary folder when null. A container gets it mounted read-write.</param>
/// <param name="CpuPercent">CPU a container may use, in percent of one core (50: half a core; 200: two cores).</param>
/// <param name="TmpfsSize">Bytes of the in-memory <c>/tmp</c> of a container, its only writable place besides its mounts (the root filesystem is read-only); <see cref="DefaultTmpfsSize"/> when null.</param>
/// <param name="NetworkMode"><c>none</c> (no network: a sandbox), <c>bridge</c> (needed to publish ports) or <c>host</c>; when null, <c>bridge</c> if ports are published and <c>none</c> otherwise.</param>
/// <param name="Ports">Ports the container listens on, published on 127.0.0.1 with the same number, so the command line (rendered with its port) and the health probe work unchanged. The app must listen on 0.0.0.0 inside.</param>
/// <param name="Mounts">Host folders a container sees at the same absolute path (a venv, a shared data folder); the working and output directories are always mounted read-write.</param>
/// <param name="Labels">Labels of the container beyond the ones the executor sets (<c>runtime.workload</c>, <c>runtime.agent</c>).</param>
/// <param name="Image">The image a container runs; the executor's default image when null.</param>
public sealed record ProcessSpec(
    string Id,
    IReadOnlyList<string> Command,
    string WorkingDirectory,
    IReadOnlyDictionary<string, string> Environment,
    IReadOnlyList<string>? Secrets = null,
    TimeSpan? TimeLimit = null,
    TimeSpan? StopGrace = null,
    long? MemoryLimit = null,
    string? OutputDirectory = null,
    double? CpuPercent = null,
    long? TmpfsSize = null,
    string? NetworkMode = null,
    IReadOnlyList<int>? Ports = null,
    IReadOnlyList<BindMount>? Mounts = null,
    IReadOnlyDictionary<string, string>? Labels = null,
    string? Image = null)
{
    public static readonly TimeSpan DefaultStopGrace = TimeSpan.FromSeconds(10);

    /// <summary>64 MiB: room for what Python libraries put in /tmp, small enough not to matter in memory.</summary>
    public const long DefaultTmpfsSize = 64L * 1024 * 1024;

    /// <summary>The network a container gets: the mode asked for, else <c>bridge</c> when it publishes ports and <c>none</c> when it does not.</summary>
    public string EffectiveNetworkMode => NetworkMode ?? (Ports is { Count: > 0 } ? NetworkModes.Bridge : NetworkModes.None);

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
        foreach (var name in Environment.Keys)
        {
            if (name.Length == 0 || name.Contains('=') || name.Contains('\0'))
                throw new ArgumentException($"The environment variable name '{name}' is not valid: it must be non-empty, without '=' or NUL.", nameof(Environment));
        }
        ContainerSpecValidation.Validate(this);
    }
}

/// <summary>A host folder a container sees at the same absolute path.</summary>
public sealed record BindMount(string Path, bool ReadOnly = true);

/// <summary>How a workload ended: its exit code (128 + n when killed by signal n) and, when we stopped it, why.</summary>
public sealed record ProcessExit(int ExitCode, string? StopReason);
