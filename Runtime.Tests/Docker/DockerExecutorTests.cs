using System.Diagnostics;
using Runtime.Execution.Docker;
using Runtime.Execution.Processes;
using Runtime.Execution.Workloads;
using Runtime.Tests.Infrastructure;
using Xunit;

namespace Runtime.Tests.Docker;

/// <summary>Workloads in containers through <see cref="IWorkloadExecutor"/>, against the real engine.</summary>
[Collection(DockerCollection.Name)]
public sealed class DockerExecutorTests(DockerFixture docker)
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(30);

    private IWorkloadExecutor Executor => docker.Executor;

    [DockerFact]
    public async Task FlaskApp_RunFromAVenvByItsHostPaths_AnswersOnItsPortPublishedOnLoopback()
    {
        // The app folder and a venv made on the host from Debian's python3 are mounted at their own paths:
        // the command line the host would run works unchanged in the container.
        var port = FreePort.Next();
        var app = docker.Workspace(("app.py", """
            import os, sys
            from flask import Flask
            app = Flask(__name__)
            @app.get("/")
            def hello():
                return "hello from " + sys.prefix
            app.run(host="0.0.0.0", port=int(os.environ["PORT"]))
            """));
        var venv = Path.Combine(docker.Workspace(), "venv");
        using (var made = Process.Start("/usr/bin/python3", ["-m", "venv", "--system-site-packages", "--without-pip", venv]))
            await made.WaitForExitAsync();
        var spec = new ProcessSpec("app/" + Guid.NewGuid().ToString("N")[..8], [Path.Combine(venv, "bin", "python"), Path.Combine(app, "app.py")], app,
            new Dictionary<string, string> { ["PORT"] = port.ToString(), ["PYTHONUNBUFFERED"] = "1" },
            Ports: [port], Mounts: [new BindMount(venv)]);
        var sink = new LineSink();

        await using var workload = await Executor.StartAsync(spec, sink, CancellationToken.None);

        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(2) };
        var body = await Eventually.Get(async () =>
        {
            try
            {
                return await http.GetStringAsync($"http://127.0.0.1:{port}/");
            }
            catch (HttpRequestException)
            {
                return null;
            }
        }, b => b is not null, Wait, $"the app on 127.0.0.1:{port}");
        Assert.Equal("hello from " + venv, body);
        Assert.Equal(DockerExecutor.ExecutorName, workload.Handle.Executor);
        Assert.False(workload.Exited.IsCompleted);
    }

    [DockerFact]
    public async Task BatchRun_ReportsItsExitCode_AndItsLinesWithStreamAndDockersTime_SecretsMasked()
    {
        var spec = docker.Python("""
            import os, sys
            print("hello", os.environ["GREETING"])
            print("oops", file=sys.stderr)
            print("password=" + os.environ["PASSWORD"])
            print("x" * 40000)
            print("environment", " ".join(sorted(os.environ)), os.environ["HOME"])
            sys.stdout.write("no newline at the end")
            sys.exit(3)
            """, new Dictionary<string, string> { ["GREETING"] = "world", ["PASSWORD"] = "hunter2" }) with { Secrets = ["hunter2"] };
        var sink = new LineSink();
        var before = DateTimeOffset.UtcNow;

        await using var workload = await Executor.StartAsync(spec, sink, CancellationToken.None);
        var exit = await workload.Exited.WaitAsync(Wait);

        var after = DateTimeOffset.UtcNow;
        Assert.Equal(3, exit.ExitCode);
        Assert.Null(exit.StopReason);
        // Docker logs lines over 16 KiB in pieces: they come back as one line.
        static string Shown(string text) => text == new string('x', 40000) ? "x * 40000" : text.Length > 200 ? text[..200] + "…" : text;
        var lines = sink.Lines;
        // Only the spec's variables, not the agent's, and a writable HOME.
        Assert.Equal(["hello world", "password=***", "x * 40000", "environment GREETING HOME HOSTNAME LANG PASSWORD PATH PYTHONUNBUFFERED /tmp", "no newline at the end"],
            lines.Where(l => l.Stream == "stdout").Select(l => Shown(l.Text)));
        Assert.Equal(["oops"], lines.Where(l => l.Stream == "stderr").Select(l => Shown(l.Text)));
        Assert.All(lines, l => Assert.Equal(spec.Id, l.WorkloadId));
        Assert.All(lines, l => Assert.InRange(l.At, before.AddSeconds(-1), after));
        Assert.False(await docker.ContainerExistsAsync(workload.Handle.ContainerId!), "the ended run's container was left behind");
    }

    [DockerFact]
    public async Task LinesPrintedJustBeforeTheEnd_AreAllThere_InOrder_NoneTwice()
    {
        // The followed stream may end before the last lines are logged; the read after the end must add them, and only them.
        var spec = docker.Python("import sys\nfor n in range(3000):\n    print('line', n)\nsys.stdout.write('last')\n");
        var sink = new LineSink();

        await using var workload = await Executor.StartAsync(spec, sink, CancellationToken.None);
        await workload.Exited.WaitAsync(Wait);

        Assert.Equal(Enumerable.Range(0, 3000).Select(n => $"line {n}").Append("last"), sink.Lines.Select(l => l.Text));
    }

    [DockerFact]
    public async Task Stop_EndsThePythonWithSigtermQuickly_AndTheContainerIsGoneAfterwards()
    {
        var spec = docker.Python("import time\nprint('ready')\ntime.sleep(3600)\n") with { StopGrace = TimeSpan.FromSeconds(20) };
        var sink = new LineSink();
        await using var workload = await Executor.StartAsync(spec, sink, CancellationToken.None);
        await sink.WaitForAsync("ready", Wait);
        Assert.True(await docker.ContainerExistsAsync(workload.Handle.ContainerId!));

        var clock = Stopwatch.StartNew();
        var exit = await workload.StopAsync("stopped by test");

        // Python as the init's child dies of the SIGTERM itself (128 + 15), far within the grace: no SIGKILL was needed.
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(5), $"the stop took {clock.Elapsed}");
        Assert.Equal(128 + Signals.SigTerm, exit.ExitCode);
        Assert.Equal("stopped by test", exit.StopReason);
        Assert.False(await docker.ContainerExistsAsync(workload.Handle.ContainerId!));
    }

    [DockerFact]
    public async Task Adopt_ByHandle_FollowsTheLinesLoggedFromThenOn_AndSeesTheExit()
    {
        var spec = docker.Python("""
            import signal, sys, time
            def bye(*_):
                print("bye")
                sys.exit(0)
            signal.signal(signal.SIGTERM, bye)
            n = 0
            while True:
                n += 1
                print("tick", n)
                time.sleep(0.05)
            """);
        var first = new LineSink();
        var original = await Executor.StartAsync(spec, first, CancellationToken.None);
        await first.WaitForAsync("tick 3", Wait);
        // What an agent records, through JSON, and what the next one reads back.
        var handle = System.Text.Json.JsonSerializer.Deserialize<WorkloadHandle>(System.Text.Json.JsonSerializer.Serialize(original.Handle))!;
        var restarted = docker.NewExecutor();

        var adoptedAt = DateTimeOffset.UtcNow;
        var second = new LineSink();
        await using var adopted = await restarted.AdoptAsync(spec, handle, second, CancellationToken.None);

        Assert.NotNull(adopted);
        Assert.Equal(handle, adopted.Handle);
        await second.WaitForAsync(l => l.Text.StartsWith("tick "), Wait, "a tick after the adoption");
        var exit = await adopted.StopAsync("stopped by its new agent").WaitAsync(Wait);
        Assert.Equal(0, exit.ExitCode);
        Assert.Equal("stopped by its new agent", exit.StopReason);
        Assert.Contains(second.Lines, l => l.Text == "bye");
        // Nothing the previous agent had already followed is repeated (Docker's times are its clock's; allow it 50 ms).
        Assert.All(second.Lines, l => Assert.True(l.At >= adoptedAt.AddMilliseconds(-50), $"'{l.Text}' at {l.At:O} was logged before the adoption at {adoptedAt:O}"));
        Assert.DoesNotContain(second.Lines, l => l.Text is "tick 1" or "tick 2" or "tick 3");
        Assert.False(await docker.ContainerExistsAsync(handle.ContainerId!));
        await original.Exited.WaitAsync(Wait);
    }

    [DockerFact]
    public async Task Adopt_OfAGoneContainer_OrAnotherWorkloadsContainer_IsNull()
    {
        var spec = docker.Python("import time\nprint('ready')\ntime.sleep(3600)\n");
        var sink = new LineSink();
        await using var running = await Executor.StartAsync(spec, sink, CancellationToken.None);
        await sink.WaitForAsync("ready", Wait);

        Assert.Null(await Executor.AdoptAsync(spec, WorkloadHandle.ForContainer(new string('0', 64)), new LineSink(), CancellationToken.None));
        Assert.Null(await Executor.AdoptAsync(spec with { Id = "someone-else" }, running.Handle, new LineSink(), CancellationToken.None));
        await Assert.ThrowsAsync<ArgumentException>(() => Executor.AdoptAsync(spec, WorkloadHandle.ForProcess(1, 1), new LineSink(), CancellationToken.None));

        await running.StopAsync();
        Assert.Null(await Executor.AdoptAsync(spec, running.Handle, new LineSink(), CancellationToken.None));
    }

    [DockerFact]
    public async Task RemoveOrphans_RemovesTheAgentsContainersOfWorkloadsItNoLongerRuns_AndKeepsTheOthers()
    {
        var agent = docker.NewExecutor(agentId: $"{docker.AgentId}-orphans-{Guid.NewGuid():N}");
        var otherAgent = docker.NewExecutor(agentId: $"{docker.AgentId}-other-{Guid.NewGuid():N}");
        var kept = docker.Python("import time\ntime.sleep(3600)\n");
        var orphan = docker.Python("import time\ntime.sleep(3600)\n");
        var foreign = docker.Python("import time\ntime.sleep(3600)\n");
        await using var keptWorkload = await agent.StartAsync(kept, new LineSink(), CancellationToken.None);
        await using var orphanWorkload = await agent.StartAsync(orphan, new LineSink(), CancellationToken.None);
        await using var foreignWorkload = await otherAgent.StartAsync(foreign, new LineSink(), CancellationToken.None);

        var removed = await agent.RemoveOrphansAsync(new HashSet<string> { kept.Id }, CancellationToken.None);

        Assert.Equal([orphan.Id], removed);
        Assert.False(await docker.ContainerExistsAsync(orphanWorkload.Handle.ContainerId!));
        Assert.True(await docker.ContainerExistsAsync(keptWorkload.Handle.ContainerId!));
        Assert.True(await docker.ContainerExistsAsync(foreignWorkload.Handle.ContainerId!));
        await orphanWorkload.Exited.WaitAsync(Wait);
    }

    [DockerFact]
    public async Task Stats_OfABusyContainer_ShowItsCpuMemoryAndLimit()
    {
        var spec = docker.Python("print('busy')\nx = bytearray(32 * 1024 * 1024)\nwhile True:\n    pass\n") with { MemoryLimit = 256L * 1024 * 1024 };
        var sink = new LineSink();
        await using var workload = await Executor.StartAsync(spec, sink, CancellationToken.None);
        await sink.WaitForAsync("busy", Wait);

        var stats = await workload.StatsAsync(CancellationToken.None);

        Assert.NotNull(stats);
        Assert.True(stats.CpuPercent > 10, $"CPU {stats.CpuPercent}%");
        Assert.True(stats.MemoryBytes > 1024 * 1024, $"memory {stats.MemoryBytes} bytes");
        Assert.Equal(256L * 1024 * 1024, stats.MemoryLimitBytes);
        await workload.StopAsync();
        Assert.Null(await workload.StatsAsync(CancellationToken.None));
    }
}
