using Microsoft.Extensions.Configuration;

namespace Runtime.Execution.Supervision;

/// <summary>How an agent (embedded or remote) runs workloads (<c>Runtime:Agent</c>).</summary>
public sealed class AgentOptions
{
    public const string Section = "Runtime:Agent";

    /// <summary>How long an app may take to answer its health probe after starting.</summary>
    public TimeSpan ReadinessTimeout { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>How often a ready app's health path is probed.</summary>
    public TimeSpan ProbeInterval { get; set; } = TimeSpan.FromSeconds(15);

    /// <summary>Consecutive failed probes after which the app is restarted.</summary>
    public int ProbeFailures { get; set; } = 3;

    /// <summary>Consecutive restarts that do not bring the app back after which it is reported Failed.</summary>
    public int MaxRestarts { get; set; } = 5;

    /// <summary>The wait before the first restart; it doubles with each further one, up to a minute.</summary>
    public TimeSpan RestartBackoff { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>How long a run asked to stop (cancelled, past its time limit) has before SIGKILL.</summary>
    public TimeSpan RunStopGrace { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Resident memory an app's processes may use together, in MiB; none when unset.</summary>
    public long? MemoryLimitMiB { get; set; }

    public long? MemoryLimitBytes => MemoryLimitMiB * 1024 * 1024;

    /// <summary>The interpreter of the built-in <c>default</c> Python environment (and of any environment whose interpreter is <c>agent</c>).</summary>
    public string Python { get; set; } = "python3";

    /// <summary>Where the agent keeps workload folders and Python environments (<c>Runtime:DataDirectory</c>).</summary>
    public static string DataDirectory(IConfiguration configuration) => Path.GetFullPath(configuration["Runtime:DataDirectory"] ?? ".runtime");
}
