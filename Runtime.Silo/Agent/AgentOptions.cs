namespace Runtime.Silo.Agent;

/// <summary>How the embedded agent runs workloads (<c>Runtime:Agent</c>).</summary>
public sealed class AgentOptions
{
    public const string Section = "Runtime:Agent";

    /// <summary>How long an app may take to answer its health probe after starting.</summary>
    public TimeSpan ReadinessTimeout { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>The interpreter of the built-in <c>default</c> Python environment (and of any environment whose interpreter is <c>agent</c>).</summary>
    public string Python { get; set; } = "python3";

    /// <summary>Where the agent keeps workload folders and Python environments (<c>Runtime:DataDirectory</c>).</summary>
    public static string DataDirectory(IConfiguration configuration) => Path.GetFullPath(configuration["Runtime:DataDirectory"] ?? ".runtime");
}
