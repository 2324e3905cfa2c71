using System.Text.Json;
using Runtime.Agent.Gateway;
using Runtime.Execution.Agents;
using Runtime.Execution.Files;

namespace Runtime.Agent.Workloads;

/// <summary>The kinds of assignment (<see cref="AgentAssignment.Kind"/>).</summary>
internal static class AssignmentKinds
{
    public const string Start = "start";
    public const string Run = "run";
    public const string Stop = "stop";
    public const string Check = "check";
}

/// <summary>
/// What the agent writes beside each workload (<c>workload.json</c>, 0600) so that it can take the workload
/// over after its own restart. It holds the whole <see cref="AgentWorkload"/>, secret values included (and a
/// run's token), because starting an app again needs them: it lives only as long as the workload, and is
/// deleted with the workload's folder.
/// </summary>
/// <param name="Ready">For apps: the start was reported (ready and completed); before that an agent restart starts it over.</param>
/// <param name="RunToken">For runs: RUNTIME_RUN_TOKEN, to mask it in the output of an adopted run.</param>
internal sealed record WorkloadRecord(
    Guid AssignmentId, string Kind, string WorkloadId, AgentWorkload Workload, string Directory, string? VenvBin, int Port,
    int Pid, long StartTime, DateTimeOffset StartedAt, bool Ready = false, string? RunToken = null)
{
    public const string FileName = "workload.json";

    public string AppDirectory => System.IO.Path.Combine(Directory, "app");

    public string OutputDirectory => System.IO.Path.Combine(Directory, "output");

    /// <summary>Writes the record into its workload's folder; false when the folder is gone (the workload was stopped meanwhile).</summary>
    public bool Save()
    {
        try
        {
            PrivateFile.Write(System.IO.Path.Combine(Directory, FileName), JsonSerializer.Serialize(this, GatewayClient.Json), createFolder: false);
            return true;
        }
        catch (DirectoryNotFoundException)
        {
            return false;
        }
    }

    /// <summary>The record, or null when it is gone or unreadable (a write cut short).</summary>
    public static WorkloadRecord? Read(string path)
    {
        try
        {
            return JsonSerializer.Deserialize<WorkloadRecord>(File.ReadAllText(path), GatewayClient.Json);
        }
        catch (Exception e) when (e is IOException or JsonException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    /// <summary>Every record below <paramref name="workloads"/> (<c>&lt;assignment&gt;/workload.json</c>).</summary>
    public static IEnumerable<string> Find(string workloads) =>
        System.IO.Directory.Exists(workloads)
            ? System.IO.Directory.EnumerateFiles(workloads, FileName, new EnumerationOptions { RecurseSubdirectories = true, MaxRecursionDepth = 1 })
            : [];
}
