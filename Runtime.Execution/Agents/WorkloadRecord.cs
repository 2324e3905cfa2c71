using System.Text.Json;
using System.Text.Json.Serialization;
using Runtime.Execution.Docker;
using Runtime.Execution.Files;
using Runtime.Execution.Workloads;

namespace Runtime.Execution.Agents;

/// <summary>The kinds of assignment (<see cref="AgentAssignment.Kind"/>).</summary>
public static class AssignmentKinds
{
    public const string Start = "start";
    public const string Run = "run";
    public const string Stop = "stop";
    public const string Check = "check";
}

/// <summary>
/// What an agent writes beside each workload (<c>workload.json</c>, 0600) so that it, after a restart, or another
/// agent of its cluster, after it died or stopped, can take the workload over: follow it when its process still
/// runs, start an app again, end a run. It holds the whole <see cref="AgentWorkload"/>, secret values included (and
/// a run's token), because starting an app again needs them: it lives only as long as the workload, and is deleted
/// with the workload's folder.
/// </summary>
/// <param name="Owner">The agent running it: while that agent lives, nobody else takes it over.</param>
/// <param name="Attempt">Which claim of the assignment this is: an attempt whose agent died before its start completed is not taken over once another attempt ran.</param>
/// <param name="Ready">For apps: the start was reported (ready and completed); before that, a take-over starts it over.</param>
/// <param name="RunToken">For runs: RUNTIME_RUN_TOKEN, to mask it in the output of a run taken over.</param>
/// <param name="LeftByStop">Its agent was stopped and ended the workload on the way out: any agent of the cluster takes it over at once (an app is started again; an interactive run ends).</param>
/// <param name="Executor">What runs it: <c>process</c> (<paramref name="Pid"/>, <paramref name="StartTime"/>) or <c>docker</c> (<paramref name="ContainerId"/>).</param>
public sealed record WorkloadRecord(
    Guid AssignmentId, string Kind, string WorkloadId, AgentWorkload Workload, string Directory, string? VenvBin, int Port,
    int Pid, long StartTime, DateTimeOffset StartedAt, RecordOwner Owner, int Attempt = 0, bool Ready = false, string? RunToken = null,
    bool LeftByStop = false, string Executor = ProcessExecutor.ExecutorName, string? ContainerId = null)
{
    public const string FileName = "workload.json";

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    /// <summary>What identifies its process or container for a take-over.</summary>
    [JsonIgnore]
    public WorkloadHandle Handle => Executor == DockerExecutor.ExecutorName && ContainerId is { } id ? WorkloadHandle.ForContainer(id) : WorkloadHandle.ForProcess(Pid, StartTime);

    /// <summary>The record naming <paramref name="handle"/> as what runs it now.</summary>
    public WorkloadRecord With(WorkloadHandle handle) => this with { Pid = handle.Pid, StartTime = handle.StartTime, ContainerId = handle.ContainerId };

    [JsonIgnore]
    public string AppDirectory => Path.Combine(Directory, "app");

    [JsonIgnore]
    public string OutputDirectory => Path.Combine(Directory, "output");

    /// <summary>Writes the record into its workload's folder; false when the folder is gone (the workload was stopped meanwhile).</summary>
    public bool Save()
    {
        try
        {
            PrivateFile.Write(Path.Combine(Directory, FileName), JsonSerializer.Serialize(this, Json), createFolder: false);
            return true;
        }
        catch (DirectoryNotFoundException)
        {
            return false;
        }
    }

    /// <summary>The record, or null when it is gone, unreadable (a write cut short) or of an older shape.</summary>
    public static WorkloadRecord? Read(string path)
    {
        try
        {
            var record = JsonSerializer.Deserialize<WorkloadRecord>(File.ReadAllText(path), Json);
            return record is { Kind: not null, Workload: not null, Owner: not null, WorkloadId: not null } ? record : null;
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
