using System.Globalization;
using System.Text.RegularExpressions;
using Docker.DotNet.Models;
using Runtime.Execution.Processes;

namespace Runtime.Execution.Docker;

/// <summary>
/// A spec as the engine's create request: the command run as it would run on the host (the workload's
/// folders mounted at their own paths), behind a read-only root with a small tmpfs for /tmp, its memory
/// (without swap) and CPU capped, its ports on 127.0.0.1 only, and an init as PID 1 so that SIGTERM reaches
/// a Python that would ignore it as PID 1.
/// </summary>
internal static partial class ContainerParameters
{
    /// <summary>The engine keeps a bounded copy of the lines; Runtime's log store keeps them all.</summary>
    private static readonly Dictionary<string, string> LogLimits = new() { ["max-size"] = "20m", ["max-file"] = "2" };

    public static CreateContainerParameters For(ProcessSpec spec, string image, string agentId)
    {
        var labels = new Dictionary<string, string>(spec.Labels ?? new Dictionary<string, string>())
        {
            [ContainerLabels.Workload] = spec.Id,
            [ContainerLabels.Agent] = agentId,
        };
        var ports = spec.Ports ?? [];
        var tmpfs = spec.TmpfsSize ?? ProcessSpec.DefaultTmpfsSize;
        var host = new HostConfig
        {
            Init = true,
            ReadonlyRootfs = true,
            Tmpfs = new Dictionary<string, string> { ["/tmp"] = string.Create(CultureInfo.InvariantCulture, $"rw,nosuid,nodev,size={tmpfs}") },
            Mounts = Mounts(spec),
            NetworkMode = spec.EffectiveNetworkMode,
            PortBindings = ports.ToDictionary(Port, p => (IList<PortBinding>)[new PortBinding { HostIP = "127.0.0.1", HostPort = p.ToString(CultureInfo.InvariantCulture) }]),
            LogConfig = new LogConfig { Type = "json-file", Config = LogLimits },
        };
        if (spec.MemoryLimit is { } memory)
        {
            host.Memory = memory;
            host.MemorySwap = memory; // swap allowed = memory - this: none
        }
        if (spec.CpuPercent is { } cpu)
            host.NanoCPUs = (long)Math.Round(cpu / 100 * 1_000_000_000);
        return new CreateContainerParameters
        {
            Name = Name(spec.Id),
            Image = image,
            Cmd = [.. spec.Command],
            WorkingDir = spec.WorkingDirectory,
            Env = [.. Variables(spec).Select(e => $"{e.Key}={e.Value}")],
            Labels = labels,
            Tty = false,
            OpenStdin = false,
            ExposedPorts = ports.ToDictionary(Port, _ => default(EmptyStruct)),
            HostConfig = host,
        };
    }

    // Only the spec's variables (a container does not inherit the agent's), and a writable HOME: the root is
    // read-only, and pip, matplotlib and the like write under HOME.
    private static IEnumerable<KeyValuePair<string, string>> Variables(ProcessSpec spec) =>
        spec.Environment.ContainsKey("HOME") ? spec.Environment : spec.Environment.Append(KeyValuePair.Create("HOME", "/tmp"));

    private static List<Mount> Mounts(ProcessSpec spec)
    {
        List<Mount> mounts = [Bind(spec.WorkingDirectory, readOnly: false)];
        if (spec.OutputDirectory is { } output)
            mounts.Add(Bind(output, readOnly: false));
        mounts.AddRange((spec.Mounts ?? []).Select(m => Bind(m.Path, m.ReadOnly)));
        return mounts;
    }

    private static Mount Bind(string path, bool readOnly)
    {
        var full = Path.GetFullPath(path);
        return new Mount { Type = "bind", Source = full, Target = full, ReadOnly = readOnly };
    }

    private static string Port(int port) => string.Create(CultureInfo.InvariantCulture, $"{port}/tcp");

    /// <summary><c>runtime-&lt;workload id&gt;-&lt;random&gt;</c>: readable in <c>docker ps</c>, unique when a workload is started again before its old container is gone.</summary>
    private static string Name(string workloadId)
    {
        var readable = NotInName().Replace(workloadId, "-").Trim('-', '.', '_');
        if (readable.Length > 80)
            readable = readable[..80];
        return $"runtime-{readable}-{Guid.NewGuid().ToString("N")[..6]}";
    }

    [GeneratedRegex("[^a-zA-Z0-9_.-]+")]
    private static partial Regex NotInName();
}
