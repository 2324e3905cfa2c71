using System.Globalization;
using System.Text.RegularExpressions;
using Runtime.Execution.Processes;

namespace Runtime.Execution.Docker;

/// <summary>The checks of a spec's container parts; every message names the part and what is allowed.</summary>
internal static partial class ContainerSpecValidation
{
    private const int MaxLabelKey = 128;
    private const int MaxLabelValue = 4096;

    public static void Validate(ProcessSpec spec)
    {
        if (spec.CpuPercent is { } cpu)
        {
            var most = 100 * Environment.ProcessorCount;
            // Docker's smallest CPU limit is a hundredth of a core; its largest, every core of the machine.
            if (double.IsNaN(cpu) || cpu < 1 || cpu > most)
                throw new ArgumentException(
                    $"The CPU limit must be between 1 and {most} percent of one core (this machine has {Environment.ProcessorCount} cores), not {cpu.ToString(CultureInfo.InvariantCulture)}.",
                    nameof(spec.CpuPercent));
        }
        if (spec.TmpfsSize is <= 0)
            throw new ArgumentException("The size of /tmp (tmpfs) must be positive.", nameof(spec.TmpfsSize));
        if (spec.NetworkMode is { } network && !NetworkModes.All.Contains(network))
            throw new ArgumentException($"The network mode '{network}' is not one of {string.Join(", ", NetworkModes.All)}.", nameof(spec.NetworkMode));
        ValidatePorts(spec);
        ValidateMounts(spec);
        ValidateLabels(spec);
        if (spec.Image is not null)
            ImageReference.Parse(spec.Image, nameof(spec.Image));
    }

    private static void ValidatePorts(ProcessSpec spec)
    {
        if (spec.Ports is not { Count: > 0 } ports)
            return;
        foreach (var port in ports)
        {
            if (port is < 1 or > 65535)
                throw new ArgumentException($"The port {port} is not between 1 and 65535.", nameof(spec.Ports));
        }
        if (ports.Distinct().Count() != ports.Count)
            throw new ArgumentException($"A port is listed twice: {string.Join(", ", ports)}.", nameof(spec.Ports));
        if (spec.EffectiveNetworkMode != NetworkModes.Bridge)
            throw new ArgumentException(
                $"Ports can be published only on the bridge network, not with network mode '{spec.EffectiveNetworkMode}'.", nameof(spec.Ports));
    }

    private static void ValidateMounts(ProcessSpec spec)
    {
        if (spec.Mounts is not { Count: > 0 } mounts)
            return;
        var seen = new HashSet<string>(StringComparer.Ordinal) { Normalized(spec.WorkingDirectory) };
        if (spec.OutputDirectory is not null)
            seen.Add(Normalized(spec.OutputDirectory));
        foreach (var mount in mounts)
        {
            var path = mount.Path;
            if (string.IsNullOrEmpty(path) || !Path.IsPathRooted(path) || path.Contains('\0'))
                throw new ArgumentException($"The mount '{path}' must be an absolute path.", nameof(spec.Mounts));
            if (Normalized(path) != path.TrimEnd('/') || path.Split('/').Contains(".."))
                throw new ArgumentException($"The mount '{path}' must be a normalized path (no '.', '..' or '//').", nameof(spec.Mounts));
            if (Normalized(path) is "" or "/tmp")
                throw new ArgumentException($"The mount '{path}' would hide the container's own {(path == "/" ? "root" : "/tmp")}.", nameof(spec.Mounts));
            if (!seen.Add(Normalized(path)))
                throw new ArgumentException($"The folder '{path}' is mounted twice (the working and output directories are always mounted).", nameof(spec.Mounts));
        }
    }

    private static void ValidateLabels(ProcessSpec spec)
    {
        foreach (var (key, value) in spec.Labels ?? new Dictionary<string, string>())
        {
            if (key.Length > MaxLabelKey || !LabelKey().IsMatch(key))
                throw new ArgumentException($"The label '{key}' is not a valid key (letters, digits, '.', '-', '_' and '/', starting with a letter or digit, at most {MaxLabelKey}).", nameof(spec.Labels));
            if (ContainerLabels.IsReserved(key))
                throw new ArgumentException($"The label '{key}' is set by the executor itself.", nameof(spec.Labels));
            if (value.Length > MaxLabelValue || value.Contains('\0'))
                throw new ArgumentException($"The value of label '{key}' is longer than {MaxLabelValue} characters or holds NUL.", nameof(spec.Labels));
        }
    }

    private static string Normalized(string path) => Path.GetFullPath(path).TrimEnd('/');

    [GeneratedRegex("^[A-Za-z0-9][A-Za-z0-9._/-]*$")]
    private static partial Regex LabelKey();
}
