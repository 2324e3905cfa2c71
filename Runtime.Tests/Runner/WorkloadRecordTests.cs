using Runtime.Execution.Agents;
using Xunit;

namespace Runtime.Tests.Runner;

public sealed class WorkloadRecordTests : IDisposable
{
    private readonly string _workloads = Directory.CreateTempSubdirectory("runtime-agent-workloads-").FullName;

    public void Dispose() => Directory.Delete(_workloads, recursive: true);

    private static AgentWorkload Workload() => new("dash", "app.py", "/apps/edge/sales", "abc123", "prod",
        new Dictionary<string, string> { ["DB_PASSWORD"] = "hunter2" }, ["hunter2"], new Dictionary<string, string>(),
        new AgentPython("agent", "", false), null, null);

    [Fact]
    public void A_record_is_private_to_the_agent_and_reads_back_whole()
    {
        var directory = Path.Combine(_workloads, Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(directory);
        var record = new WorkloadRecord(Guid.NewGuid(), AssignmentKinds.Start, "project/sales", Workload(), directory, "/venv/bin", 8123, 42, 1234,
            DateTimeOffset.UtcNow, RecordOwner.Current("agent/test"), Attempt: 2, Ready: true);

        Assert.True(record.Save());

        var path = Assert.Single(WorkloadRecord.Find(_workloads));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(path));
        var read = WorkloadRecord.Read(path)!;
        Assert.Equal(record with { Workload = read.Workload }, read);
        Assert.Equal("hunter2", read.Workload.Environment["DB_PASSWORD"]);
    }

    [Fact]
    public void A_record_is_not_written_once_its_workload_folder_is_gone()
    {
        var record = new WorkloadRecord(Guid.NewGuid(), AssignmentKinds.Run, "run/1", Workload(), Path.Combine(_workloads, "gone"), null, 0, 1, 1,
            DateTimeOffset.UtcNow, RecordOwner.Current("agent/test"));

        Assert.False(record.Save());
        Assert.False(Directory.Exists(record.Directory));
    }

    [Fact]
    public void An_unreadable_record_reads_as_null()
    {
        var path = Path.Combine(_workloads, WorkloadRecord.FileName);
        File.WriteAllText(path, "{\"assignmentId\": ");
        Assert.Null(WorkloadRecord.Read(path));
        // A record of an older shape (no kind, no owner) is not taken for a workload either.
        File.WriteAllText(path, "{\"assignmentId\": \"" + Guid.NewGuid() + "\", \"pid\": 12}");
        Assert.Null(WorkloadRecord.Read(path));
    }

    [Fact]
    public void The_run_token_hash_is_lowercase_hex_sha256_of_its_utf8_bytes()
    {
        Assert.Equal("2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824", AgentRunner.TokenHash("hello"));
    }
}
