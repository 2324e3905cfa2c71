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
