using System.Collections.Concurrent;
using Runtime.Execution.Logs;
using Runtime.Execution.Processes;
using Xunit;

namespace Runtime.Tests.Execution;

public sealed class ProcessWorkloadTests
{
    private sealed class ListSink : ILogSink
    {
        public ConcurrentQueue<LogLine> Lines { get; } = new();

        public void Write(LogLine line) => Lines.Enqueue(line);
    }

    private static ProcessSpec Shell(string script, IReadOnlyList<string>? secrets = null, TimeSpan? timeLimit = null, TimeSpan? grace = null) =>
        new("w-" + Guid.NewGuid().ToString("N")[..8], ["/bin/sh", "-c", script], Path.GetTempPath(), new Dictionary<string, string> { ["GREETING"] = "hello" },
            secrets, timeLimit, grace);

    [Fact]
    public async Task Output_IsCapturedLineByLine_WithStreamAndTime_AndSecretsMasked()
    {
        var sink = new ListSink();
        var before = DateTimeOffset.UtcNow;
        await using var workload = ProcessWorkload.Start(Shell("echo $GREETING; echo oops >&2; echo password=hunter2", ["hunter2"]), sink);

        var exit = await workload.Exited.WaitAsync(TimeSpan.FromSeconds(10));

        Assert.Equal(0, exit.ExitCode);
        Assert.Null(exit.StopReason);
        var lines = sink.Lines.ToList();
        Assert.Contains(lines, l => l is { Stream: "stdout", Text: "hello" });
        Assert.Contains(lines, l => l is { Stream: "stderr", Text: "oops" });
        Assert.Contains(lines, l => l.Text == "password=***");
        Assert.DoesNotContain(lines, l => l.Text.Contains("hunter2"));
        Assert.All(lines, l => Assert.True(l.At >= before));
    }

    [Fact]
    public async Task ExitCode_IsReported()
    {
        await using var workload = ProcessWorkload.Start(Shell("exit 3"), new ListSink());

        Assert.Equal(3, (await workload.Exited.WaitAsync(TimeSpan.FromSeconds(10))).ExitCode);
    }

    [Fact]
    public async Task Stop_EndsTheWholeTree_ChildrenOfChildrenIncluded()
    {
        var sink = new ListSink();
        await using var workload = ProcessWorkload.Start(Shell("sh -c 'sleep 300 & echo grandchild $!; wait' & echo child $!; wait"), sink);
        var pids = await WaitForPidsAsync(sink, 2);
        Assert.All(pids, pid => Assert.True(Signals.IsAlive(pid)));

        var exit = await workload.StopAsync("stopped by test");

        Assert.Equal("stopped by test", exit.StopReason);
        await Task.Delay(200);
        Assert.All(pids.Append(workload.Pid), pid => Assert.False(IsRunning(pid), $"{pid} survived the stop"));
    }

    [Fact]
    public async Task ProcessIgnoringSigterm_IsKilledAfterTheGracePeriod()
    {
        var sink = new ListSink();
        await using var workload = ProcessWorkload.Start(Shell("trap '' TERM; echo ready; while true; do sleep 0.1; done", grace: TimeSpan.FromMilliseconds(500)), sink);
        await WaitForLineAsync(sink, "ready");

        var exit = await workload.StopAsync().WaitAsync(TimeSpan.FromSeconds(10));

        Assert.Equal(128 + Signals.SigKill, exit.ExitCode);
    }

    [Fact]
    public async Task TimeLimit_StopsTheWorkloadWithThatReason()
    {
        await using var workload = ProcessWorkload.Start(Shell("sleep 300", timeLimit: TimeSpan.FromMilliseconds(500)), new ListSink());

        var exit = await workload.Exited.WaitAsync(TimeSpan.FromSeconds(15));

        Assert.Equal("time limit", exit.StopReason);
    }

    [Fact]
    public async Task MemoryLimit_StopsTheWorkloadWithThatReason()
    {
        var spec = Shell("python3 -c 'import time; x = bytearray(300 * 1024 * 1024); print(\"allocated\", flush=True); time.sleep(60)'") with { MemoryLimit = 100L * 1024 * 1024 };
        await using var workload = ProcessWorkload.Start(spec, new ListSink());

        var exit = await workload.Exited.WaitAsync(TimeSpan.FromSeconds(20));

        Assert.StartsWith("memory limit: the app used", exit.StopReason);
        Assert.EndsWith("of 100 MiB", exit.StopReason);
    }

    [Fact]
    public async Task Workload_OutlivesItsReader_AndIsAdoptedWithItsOutput()
    {
        var output = Directory.CreateTempSubdirectory("runtime-adopt-").FullName;
        var spec = Shell("trap 'echo bye; exit 0' TERM; while true; do echo tick; sleep 0.1; done") with { OutputDirectory = output };
        var first = new ListSink();
        var original = ProcessWorkload.Start(spec, first);
        await WaitForLineAsync(first, "tick");

        // The process is identified by pid and start time: another start time is another process.
        Assert.Null(ProcessWorkload.Adopt(spec, original.Pid, original.StartTime + 1, new ListSink()));
        var second = new ListSink();
        await using var adopted = ProcessWorkload.Adopt(spec, original.Pid, original.StartTime, second);
        Assert.NotNull(adopted);
        await WaitForLineAsync(second, "tick");
        Assert.Contains(second.Lines, l => l is { Stream: "stdout", Text: "tick" });

        var exit = await adopted!.StopAsync("stopped by its new agent").WaitAsync(TimeSpan.FromSeconds(10));

        Assert.Equal("stopped by its new agent", exit.StopReason);
        Assert.Equal(-1, exit.ExitCode); // not our child: its status went to its parent
        Assert.Contains(second.Lines, l => l.Text == "bye");
        Assert.False(IsRunning(original.Pid));
        Directory.Delete(output, recursive: true);
    }

    [Theory]
    [InlineData("", "/tmp")]
    [InlineData("/bin/true", "relative/dir")]
    public void BadSpec_IsRefusedSayingWhy(string command, string directory)
    {
        var spec = new ProcessSpec("w", [command], directory, new Dictionary<string, string>());

        Assert.Throws<ArgumentException>(() => ProcessWorkload.Start(spec, new ListSink()));
    }

    // A zombie counts as not running: it has exited and only waits for its parent to read its status.
    private static bool IsRunning(int pid)
    {
        if (!Signals.IsAlive(pid))
            return false;
        try
        {
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            return stat[(stat.LastIndexOf(')') + 2)] != 'Z';
        }
        catch (IOException)
        {
            return false;
        }
    }

    private static async Task<List<int>> WaitForPidsAsync(ListSink sink, int count)
    {
        for (var i = 0; i < 200; i++)
        {
            var pids = sink.Lines.Select(l => l.Text.Split(' ')).Where(p => p.Length == 2 && int.TryParse(p[1], out _)).Select(p => int.Parse(p[1])).ToList();
            if (pids.Count >= count)
                return pids;
            await Task.Delay(50);
        }
        throw new TimeoutException("the processes did not print their pids");
    }

    private static async Task WaitForLineAsync(ListSink sink, string text)
    {
        for (var i = 0; i < 200 && !sink.Lines.Any(l => l.Text == text); i++)
            await Task.Delay(50);
    }
}
