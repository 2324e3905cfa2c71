using System.Reflection;
using Runtime.Execution.Files;

namespace Runtime.Agent.Hosting;

/// <summary>Who this agent is: a GUID made once and kept in <c>&lt;data-dir&gt;/agent-id</c>, its version and when it started.</summary>
internal sealed record AgentIdentity(Guid Id, string Version, DateTimeOffset StartedAt, string Hostname)
{
    public const string FileName = "agent-id";

    public static AgentIdentity Load(string dataDirectory, TimeProvider time) =>
        new(LoadOrCreateId(dataDirectory), CurrentVersion(), time.GetUtcNow(), System.Environment.MachineName);

    /// <summary>The id in the data directory, made and written there the first time.</summary>
    public static Guid LoadOrCreateId(string dataDirectory)
    {
        Directory.CreateDirectory(dataDirectory);
        var path = Path.Combine(dataDirectory, FileName);
        if (File.Exists(path) && Guid.TryParse(File.ReadAllText(path).Trim(), out var known))
            return known;
        var id = Guid.NewGuid();
        PrivateFile.Write(path, id.ToString("D") + "\n");
        return id;
    }

    private static string CurrentVersion() =>
        typeof(AgentIdentity).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion
        ?? typeof(AgentIdentity).Assembly.GetName().Version?.ToString() ?? "unknown";
}
