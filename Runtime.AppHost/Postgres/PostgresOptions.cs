namespace Runtime.AppHost.Postgres;

/// <summary>How to run an embedded PostgreSQL server.</summary>
public sealed record PostgresOptions
{
    /// <summary>The server's directory: <c>data/</c> (the cluster), <c>server.log</c> is not used: output goes to the callback.</summary>
    public required string Directory { get; init; }

    /// <summary>Durable writes. On for users' data; tests and throwaway clusters turn it off for speed.</summary>
    public bool Fsync { get; init; } = true;

    /// <summary>With a password the cluster uses scram-sha-256 on loopback; without, trust (throwaway clusters only).</summary>
    public string? Password { get; init; }

    /// <summary>The server binaries' folder; found automatically when null (see <see cref="PostgresBinaries"/>).</summary>
    public string? BinDirectory { get; init; }

    /// <summary>The port; a free loopback port when null.</summary>
    public int? Port { get; init; }

    /// <summary>The unprivileged user that owns and runs the cluster when this process is root.</summary>
    public string ServiceUser { get; init; } = "postgres";

    /// <summary>Extra <c>-c name=value</c> settings (max_connections …).</summary>
    public IReadOnlyDictionary<string, string> Settings { get; init; } = new Dictionary<string, string>();
}
