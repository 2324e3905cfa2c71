using Runtime.Execution.Processes;
using Runtime.Execution.Workloads;
using Runtime.Tests.Docker;
using Xunit;

namespace Runtime.Tests.Execution;

/// <summary>The process executor through <see cref="IWorkloadExecutor"/>: a handle to adopt by, and stats from /proc.</summary>
public sealed class ProcessExecutorTests
{
    private readonly IWorkloadExecutor _executor = new ProcessExecutor();

    [Fact]
    public async Task AStartedProcess_HasAHandle_ToBeAdoptedBy_AndStats()
    {
        var output = Directory.CreateTempSubdirectory("runtime-process-executor-").FullName;
        var spec = new ProcessSpec("w-" + Guid.NewGuid().ToString("N")[..8], ["python3", "-u", "-c", "print('busy')\nwhile True: pass\n"], Path.GetTempPath(),
            new Dictionary<string, string>(), MemoryLimit: 512L * 1024 * 1024, OutputDirectory: output);
        var sink = new LineSink();
        var workload = await _executor.StartAsync(spec, sink, CancellationToken.None);
        await sink.WaitForAsync("busy", TimeSpan.FromSeconds(10));

        var stats = await workload.StatsAsync(CancellationToken.None);
        await using var adopted = await _executor.AdoptAsync(spec, workload.Handle, new LineSink(), CancellationToken.None);

        Assert.Equal("process", workload.Handle.Executor);
        Assert.True(workload.Handle.Pid > 0 && workload.Handle.StartTime > 0);
        Assert.NotNull(stats);
        Assert.True(stats.CpuPercent > 10, $"CPU {stats.CpuPercent}%");
        Assert.True(stats.MemoryBytes > 1024 * 1024, $"memory {stats.MemoryBytes} bytes");
        Assert.Equal(512L * 1024 * 1024, stats.MemoryLimitBytes);
        Assert.NotNull(adopted);
        Assert.Null(await _executor.AdoptAsync(spec, workload.Handle with { StartTime = workload.Handle.StartTime + 1 }, new LineSink(), CancellationToken.None));
        await adopted.StopAsync("stopped by test");
        await workload.Exited.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Null(await workload.StatsAsync(CancellationToken.None));
        await workload.DisposeAsync();
        Directory.Delete(output, recursive: true);
    }
}
