using System.Text.Json;
using Npgsql;
using Runtime.Execution.Files;
using Runtime.Execution.Processes;
using Runtime.Grains;
using Runtime.Grains.Storage;

namespace Runtime.Silo.Agent;

/// <summary>
/// Who runs a workload an agent recorded on disk: the silo process (pid and start time, so that a later
/// process with the same pid is not taken for it) and the installation its grains live in.
/// </summary>
/// <param name="Cluster">The installation: <c>installation/&lt;id&gt;</c> from the database (older records: the database's host:port/name).</param>
internal sealed record RecordOwner(string Cluster, int Pid, long StartTime)
{
    /// <summary>This silo, in the installation whose database <paramref name="dataSource"/> reaches.</summary>
    public static async Task<RecordOwner> CurrentAsync(NpgsqlDataSource dataSource, CancellationToken ct) =>
        new($"installation/{await Installation.IdAsync(dataSource, ct):D}", Environment.ProcessId, ProcessTable.StartTime(Environment.ProcessId) ?? 0);

    /// <summary>How records named the cluster before the installation had an id: the database's address, which a restart may change.</summary>
    public static string LegacyCluster(NpgsqlDataSource dataSource)
    {
        var connection = new NpgsqlConnectionStringBuilder(dataSource.ConnectionString);
        return $"{connection.Host}:{connection.Port}/{connection.Database}";
    }

    /// <summary>Whether the silo that owns the workload is gone (a later process with its pid is not it).</summary>
    public bool IsGone => ProcessTable.StartTime(Pid) != StartTime;

    /// <summary>Whether an agent of one of <paramref name="clusters"/> should take the workload over: its installation, and its owner is gone.</summary>
    public bool IsOrphanedIn(IReadOnlyCollection<string> clusters) => clusters.Contains(Cluster) && IsGone;
}

/// <summary>The agent's records on disk: JSON, 0600, found by file name below a folder.</summary>
internal static class RecordFiles
{
    public static void Save<T>(string path, T record) => PrivateFile.Write(path, JsonSerializer.Serialize(record, GrainJson.Options));

    /// <summary>The record, or null when it is gone or unreadable (a write cut short).</summary>
    public static T? Read<T>(string path) where T : class
    {
        try
        {
            return JsonSerializer.Deserialize<T>(File.ReadAllText(path), GrainJson.Options);
        }
        catch (Exception e) when (e is IOException or JsonException)
        {
            return null;
        }
    }

    public static IEnumerable<string> Find(string folder, string fileName, int depth) =>
        Directory.Exists(folder)
            ? Directory.EnumerateFiles(folder, fileName, new EnumerationOptions { RecurseSubdirectories = true, MaxRecursionDepth = depth })
            : [];
}

/// <summary>What an agent writes beside a run's process (<c>run.json</c>), so that the next agent on the machine can end it if this one dies.</summary>
internal sealed record RunRecord(Guid RunId, int Pid, long StartTime, RecordOwner Owner)
{
    public const string FileName = "run.json";
}
