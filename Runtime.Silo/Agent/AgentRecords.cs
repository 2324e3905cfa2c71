using System.Text.Json;
using Npgsql;
using Runtime.Execution.Files;
using Runtime.Execution.Processes;
using Runtime.Grains;

namespace Runtime.Silo.Agent;

/// <summary>
/// Who runs a workload an agent recorded on disk: the silo process (pid and start time, so that a later
/// process with the same pid is not taken for it) and the database cluster its grains live in.
/// </summary>
internal sealed record RecordOwner(string Cluster, int Pid, long StartTime)
{
    /// <summary>This silo, for <paramref name="dataSource"/>'s cluster.</summary>
    public static RecordOwner Current(NpgsqlDataSource dataSource)
    {
        var connection = new NpgsqlConnectionStringBuilder(dataSource.ConnectionString);
        return new RecordOwner($"{connection.Host}:{connection.Port}/{connection.Database}", Environment.ProcessId, ProcessTable.StartTime(Environment.ProcessId) ?? 0);
    }

    /// <summary>Whether an agent of <paramref name="cluster"/> should take the workload over: its cluster, and its owner is gone.</summary>
    public bool IsOrphanedIn(string cluster) => Cluster == cluster && ProcessTable.StartTime(Pid) != StartTime;
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
