namespace Runtime.Execution.Docker;

/// <summary>The container networks a workload may have.</summary>
public static class NetworkModes
{
    /// <summary>No network at all, not even to the host: the sandbox batch runs get by default.</summary>
    public const string None = "none";

    /// <summary>Docker's default bridge: outbound connections, and ports published on 127.0.0.1 (apps, model servers).</summary>
    public const string Bridge = "bridge";

    /// <summary>The host's own network stack, unisolated.</summary>
    public const string Host = "host";

    public static IReadOnlyList<string> All { get; } = [None, Bridge, Host];
}
