using System.Globalization;
using Microsoft.Extensions.Configuration;
using Runtime.Execution.Docker;
using Runtime.Execution.Processes;

namespace Runtime.Execution.Workloads;

/// <summary>
/// How this installation executes workloads (<c>Runtime:Execution:*</c>). Each setting may also be given by the
/// environment variable the seed named (in brackets below), for operators who configure a host by its
/// environment: hosts read environment variables into their configuration, so <see cref="Read"/> finds them there.
/// When both are set, the <c>Runtime:Execution</c> key wins. <see cref="Read"/> checks every value and reports
/// every bad one at once (<see cref="ExecutionSettingsException"/>), naming the variable it came from.
/// </summary>
public sealed class ExecutionOptions
{
    public const string Section = "Runtime:Execution";

    /// <summary>[DOCKER_ENABLED] null (unset or <c>auto</c>): workloads run in containers when a Docker engine answers at start, else as processes; <c>true</c>/<c>false</c> force it.</summary>
    public bool? DockerEnabled { get; init; }

    /// <summary>[DOCKER_HOST] Where the Docker engine answers: <c>unix:///var/run/docker.sock</c> when unset, or <c>tcp://host:port</c>.</summary>
    public string? DockerHost { get; init; }

    /// <summary>[DOCKER_IMAGE] The image workloads run in; the one the build script makes by default.</summary>
    public string DockerImage { get; init; } = ExecutionImages.Default;

    /// <summary>[EXECUTION_NETWORK] The network of batch runs: <c>none</c> by default, a sandbox. Apps and model servers always get <c>bridge</c>: they need their published port.</summary>
    public string Network { get; init; } = NetworkModes.None;

    /// <summary>[EXECUTION_AUTO_BUILD_IMAGE] Whether a missing image is built on the first start that needs it. Off by default: a build takes minutes and needs root, which an operator should choose.</summary>
    public bool AutoBuildImage { get; init; }

    /// <summary>[EXECUTION_TIMEOUT_MS] The longest a batch run may take; none when unset.</summary>
    public TimeSpan? Timeout { get; init; }

    /// <summary>[EXECUTION_MAX_MEMORY_MB] The most memory a workload may use, in MiB; none when unset.</summary>
    public long? MaxMemoryMb { get; init; }

    /// <summary>[EXECUTION_MAX_CPU_PERCENT] The most CPU a container may use, in percent of one core; none when unset.</summary>
    public double? MaxCpuPercent { get; init; }

    /// <summary>[EXECUTION_TMPFS_MB] The size of a container's /tmp, in MiB: 64 by default, room for what Python libraries put there.</summary>
    public long TmpfsMb { get; init; } = ProcessSpec.DefaultTmpfsSize / (1024 * 1024);

    /// <summary>[EXECUTION_WORKSPACE_DIR] Where workloads' folders are made; the agent's <c>&lt;data directory&gt;/workloads</c> when unset.</summary>
    public string? WorkspaceDirectory { get; init; }

    /// <summary>Whether workloads run in containers, given whether an engine answered at start.</summary>
    public bool UsesDocker(bool engineAnswers) => DockerEnabled ?? engineAnswers;

    /// <summary>The network of a workload: <c>bridge</c> for what publishes a port (apps, model servers), else <see cref="Network"/>.</summary>
    public string NetworkFor(bool publishesPort) => publishesPort ? NetworkModes.Bridge : Network;

    /// <exception cref="ExecutionSettingsException">Any value is bad; the message lists each with its variable.</exception>
    public static ExecutionOptions Read(IConfiguration configuration)
    {
        var errors = new List<string>();
        var reader = new SettingReader(configuration, errors);
        var options = new ExecutionOptions
        {
            DockerEnabled = reader.Switch("DockerEnabled", "DOCKER_ENABLED"),
            DockerHost = reader.Endpoint("DockerHost", "DOCKER_HOST"),
            DockerImage = reader.Image("DockerImage", "DOCKER_IMAGE") ?? ExecutionImages.Default,
            Network = reader.Network("Network", "EXECUTION_NETWORK") ?? NetworkModes.None,
            AutoBuildImage = reader.Flag("AutoBuildImage", "EXECUTION_AUTO_BUILD_IMAGE") ?? false,
            Timeout = reader.Whole("TimeoutMs", "EXECUTION_TIMEOUT_MS", "milliseconds") is { } ms ? TimeSpan.FromMilliseconds(ms) : null,
            MaxMemoryMb = reader.Whole("MaxMemoryMb", "EXECUTION_MAX_MEMORY_MB", "MiB"),
            MaxCpuPercent = reader.CpuPercent("MaxCpuPercent", "EXECUTION_MAX_CPU_PERCENT"),
            TmpfsMb = reader.Whole("TmpfsMb", "EXECUTION_TMPFS_MB", "MiB") ?? ProcessSpec.DefaultTmpfsSize / (1024 * 1024),
            WorkspaceDirectory = reader.AbsolutePath("WorkspaceDirectory", "EXECUTION_WORKSPACE_DIR"),
        };
        if (errors.Count > 0)
            throw new ExecutionSettingsException(errors);
        return options;
    }

    // Each value from its Runtime:Execution key or its seed name; a bad one becomes an error naming where it came from.
    private sealed class SettingReader(IConfiguration configuration, List<string> errors)
    {
        public bool? Switch(string key, string variable) => Text(key, variable) switch
        {
            null => null,
            (var name, var value) when value.Trim().ToLowerInvariant() is "" or "auto" => null,
            (var name, var value) => ParseBool(name, value),
        };

        public bool? Flag(string key, string variable) => Text(key, variable) is var (name, value) ? ParseBool(name, value) : null;

        public string? Image(string key, string variable)
        {
            if (Text(key, variable) is not var (name, value))
                return null;
            if (ImageReference.TryParse(value.Trim(), out var problem) is null)
                errors.Add($"{name}: {problem}.");
            return value.Trim();
        }

        public string? Endpoint(string key, string variable)
        {
            if (Text(key, variable) is not var (name, value) || value.Trim().Length == 0)
                return null;
            if (Uri.TryCreate(value.Trim(), UriKind.Absolute, out var uri) && uri.Scheme is "unix" or "tcp" or "http" or "https")
                return value.Trim();
            errors.Add($"{name} is '{value}': expected unix:///path/to/docker.sock or tcp://host:port.");
            return null;
        }

        public string? Network(string key, string variable)
        {
            if (Text(key, variable) is not var (name, value))
                return null;
            var mode = value.Trim().ToLowerInvariant();
            if (!NetworkModes.All.Contains(mode))
                errors.Add($"{name} is '{value}': expected one of {string.Join(", ", NetworkModes.All)}.");
            return mode;
        }

        public long? Whole(string key, string variable, string unit)
        {
            if (Text(key, variable) is not var (name, value))
                return null;
            if (long.TryParse(value.Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out var number) && number > 0)
                return number;
            errors.Add($"{name} is '{value}': expected a whole number of {unit}, at least 1.");
            return null;
        }

        public double? CpuPercent(string key, string variable)
        {
            if (Text(key, variable) is not var (name, value))
                return null;
            var most = 100 * Environment.ProcessorCount;
            if (double.TryParse(value.Trim(), NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var percent) && percent >= 1 && percent <= most)
                return percent;
            errors.Add($"{name} is '{value}': expected a percent of one core from 1 to {most} (this machine has {Environment.ProcessorCount} cores).");
            return null;
        }

        public string? AbsolutePath(string key, string variable)
        {
            if (Text(key, variable) is not var (name, value))
                return null;
            if (Path.IsPathRooted(value.Trim()))
                return Path.GetFullPath(value.Trim());
            errors.Add($"{name} is '{value}': expected an absolute path.");
            return null;
        }

        private bool? ParseBool(string name, string value)
        {
            switch (value.Trim().ToLowerInvariant())
            {
                case "true" or "1" or "yes" or "on":
                    return true;
                case "false" or "0" or "no" or "off":
                    return false;
                default:
                    errors.Add($"{name} is '{value}': expected true or false.");
                    return null;
            }
        }

        // The value and the name to blame for it; null when neither is set.
        private (string Name, string Value)? Text(string key, string variable)
        {
            var sectionKey = $"{Section}:{key}";
            if (configuration[sectionKey] is { } fromSection)
                return ($"{sectionKey} ({variable})", fromSection);
            return configuration[variable] is { } fromVariable ? (variable, fromVariable) : null;
        }
    }
}
