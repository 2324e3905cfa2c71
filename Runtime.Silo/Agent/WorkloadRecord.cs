using System.Text.Json;
using Runtime.Grains;
using Runtime.Grains.Projects;
using Runtime.Grains.Storage;

namespace Runtime.Silo.Agent;

/// <summary>
/// What an agent writes beside each app it runs (<c>workload.json</c>, 0600): enough for another agent on
/// the same machine to adopt the app if this one dies, or to start it again. The settings in it are
/// the start spec's, secrets still encrypted.
/// </summary>
/// <param name="Cluster">The database the app's project lives in; an agent adopts only its own cluster's apps.</param>
/// <param name="OwnerPid">The silo process running the app, with <paramref name="OwnerStartTime"/>: while it lives, nobody adopts.</param>
internal sealed record WorkloadRecord(
    Guid AssignmentId, GrainId Project, string WorkloadId, StartSpec Spec, string Directory, string VenvBin, int Port,
    int Pid, long StartTime, string Cluster, int OwnerPid, long OwnerStartTime)
{
    public const string FileName = "workload.json";

    public void Save() => PrivateFile.Write(Path.Combine(Directory, FileName), JsonSerializer.Serialize(this, GrainJson.Options));

    public static WorkloadRecord? Read(string path)
    {
        try
        {
            return JsonSerializer.Deserialize<WorkloadRecord>(File.ReadAllText(path), GrainJson.Options);
        }
        catch (Exception e) when (e is IOException or JsonException)
        {
            return null;
        }
    }

    /// <summary>The records under an agent's <c>workloads</c> folder.</summary>
    public static IEnumerable<string> Find(string workloads) =>
        System.IO.Directory.Exists(workloads)
            ? System.IO.Directory.EnumerateFiles(workloads, FileName, new EnumerationOptions { RecurseSubdirectories = true, MaxRecursionDepth = 2 })
            : [];
}
