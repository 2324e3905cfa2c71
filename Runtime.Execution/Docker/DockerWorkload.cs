using Docker.DotNet;
using Docker.DotNet.Models;
using Microsoft.Extensions.Logging;
using Runtime.Execution.Logs;
using Runtime.Execution.Processes;
using Runtime.Execution.Workloads;

namespace Runtime.Execution.Docker;

/// <summary>
/// A workload running as a container: its logs followed, its end awaited, and the container removed once it
/// has ended (with its anonymous volumes), so that an ended workload leaves nothing behind.
/// </summary>
internal sealed partial class DockerWorkload : IRunningWorkload
{
    /// <summary>How long the log stream may lag behind the container's end before the lines are taken as complete.</summary>
    private static readonly TimeSpan LogDrain = TimeSpan.FromSeconds(5);

    /// <summary>How long a removal started by someone else is waited for.</summary>
    private static readonly TimeSpan RemovalWait = TimeSpan.FromSeconds(10);

    private readonly DockerEngine _engine;
    private readonly ProcessSpec _spec;
    private readonly ILogger _logger;
    private readonly TaskCompletionSource<ProcessExit> _exited = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource _ended = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private string? _stopReason;

    public DockerWorkload(DockerEngine engine, ProcessSpec spec, string containerId, ILogger logger)
    {
        _engine = engine;
        _spec = spec;
        _logger = logger;
        ContainerId = containerId;
    }

    public string ContainerId { get; }

    public WorkloadHandle Handle => WorkloadHandle.ForContainer(ContainerId);

    public Task<ProcessExit> Exited => _exited.Task;

    private string ShortId => ContainerId[..Math.Min(12, ContainerId.Length)];

    private IContainerOperations Containers => _engine.Client.Containers;

    /// <summary>Follows its lines (all of them, or those logged from <paramref name="since"/> on) and waits for its end.</summary>
    public void Watch(ILogSink sink, DateTimeOffset? since)
    {
        var reader = new ContainerLogReader(_spec.Id, new SecretMask(_spec.Secrets), sink);
        var logs = new ContainerLogFollower(Containers, ContainerId, _spec.Id, reader, _logger);
        logs.Start(since);
        _ = FinishAsync(logs);
        if (_spec.TimeLimit is { } limit)
            _ = StopAfterAsync(limit);
    }

    /// <summary>SIGTERM (the container's init passes it on), SIGKILL after the grace; then the container is removed.</summary>
    public async Task<ProcessExit> StopAsync(string reason = "stopped", TimeSpan? grace = null)
    {
        Interlocked.CompareExchange(ref _stopReason, reason, null);
        if (!_ended.Task.IsCompleted)
        {
            await SignalAsync("SIGTERM");
            var wait = grace ?? _spec.StopGrace ?? ProcessSpec.DefaultStopGrace;
            if (await Task.WhenAny(_ended.Task, Task.Delay(wait)) != _ended.Task)
            {
                LogKilled(_spec.Id, ShortId, wait.TotalSeconds);
                await SignalAsync("SIGKILL");
            }
        }
        return await Exited;
    }

    /// <summary>One sample of the engine's stats (it measures the CPU over about a second); null once the container has ended.</summary>
    public async Task<WorkloadStats?> StatsAsync(CancellationToken ct)
    {
        if (_ended.Task.IsCompleted)
            return null;
        try
        {
            var latest = new ContainerStats.Latest();
            await Containers.GetContainerStatsAsync(ContainerId, new ContainerStatsParameters { Stream = false }, latest, ct);
            return _ended.Task.IsCompleted || latest.Value is null ? null : ContainerStats.From(latest.Value, _spec.MemoryLimit is not null);
        }
        catch (DockerContainerNotFoundException)
        {
            return null;
        }
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync();
    }

    /// <summary>Removes the container whatever its state, with its anonymous volumes; quiet when it is already gone.</summary>
    public async Task RemoveAsync()
    {
        try
        {
            await Containers.RemoveContainerAsync(ContainerId, new ContainerRemoveParameters { Force = true, RemoveVolumes = true });
        }
        catch (DockerContainerNotFoundException)
        {
        }
        catch (DockerApiException e) when (e.StatusCode == System.Net.HttpStatusCode.Conflict)
        {
            // "Removal already in progress": someone else's removal (an orphan sweep, a second watcher) got there
            // first. Gone afterwards means gone when this returns, so wait for it.
            await GoneAsync();
        }
        catch (Exception e) when (DockerEngine.IsUnreachable(e))
        {
            LogNotRemoved(_spec.Id, ShortId, _engine.Unreachable(e));
        }
    }

    // The engine has no event for a finished removal that this client can wait on: ask until it is gone, for a while.
    private async Task GoneAsync()
    {
        var deadline = DateTime.UtcNow + RemovalWait;
        while (DateTime.UtcNow < deadline)
        {
            try
            {
                await Containers.InspectContainerAsync(ContainerId);
            }
            catch (DockerContainerNotFoundException)
            {
                return;
            }
            await Task.Delay(TimeSpan.FromMilliseconds(50));
        }
        LogNotRemoved(_spec.Id, ShortId, $"its removal by someone else did not finish within {RemovalWait.TotalSeconds:0} s");
    }

    // The end: the exit code, the lines read to the end, why it ended (an OOM kill included), the container removed.
    // Whatever fails on the way, the end is reported: an agent waiting for it must not wait forever.
    private async Task FinishAsync(ContainerLogFollower logs)
    {
        var code = -1;
        try
        {
            code = await WaitAsync();
            _ended.TrySetResult();
            await logs.FinishAsync(LogDrain);
            if (await OomKilledAsync())
                Interlocked.CompareExchange(ref _stopReason, MemoryReason(), null);
            await RemoveAsync();
        }
        catch (Exception e)
        {
            Interlocked.CompareExchange(ref _stopReason, "lost track of the container: " + e.Message, null);
            LogFinishFailed(e, _spec.Id, ShortId);
        }
        finally
        {
            _ended.TrySetResult();
            LogEnded(_spec.Id, ShortId, code, _stopReason ?? "exited");
            _exited.TrySetResult(new ProcessExit(code, _stopReason));
        }
    }

    private async Task<int> WaitAsync()
    {
        try
        {
            return (int)(await Containers.WaitContainerAsync(ContainerId)).StatusCode;
        }
        catch (DockerContainerNotFoundException)
        {
            Interlocked.CompareExchange(ref _stopReason, "the container was removed", null);
        }
        catch (Exception e) when (DockerEngine.IsUnreachable(e))
        {
            Interlocked.CompareExchange(ref _stopReason, "lost the Docker engine: " + _engine.Unreachable(e), null);
        }
        return -1;
    }

    private async Task<bool> OomKilledAsync()
    {
        try
        {
            return (await Containers.InspectContainerAsync(ContainerId)).State?.OOMKilled == true;
        }
        catch (Exception e) when (e is DockerContainerNotFoundException || DockerEngine.IsUnreachable(e))
        {
            return false;
        }
    }

    private string MemoryReason() => _spec.MemoryLimit is { } limit
        ? $"memory limit: the container reached its limit of {limit / (1024 * 1024)} MiB and was killed"
        : "memory limit: the machine ran out of memory and the container was killed";

    private async Task SignalAsync(string signal)
    {
        try
        {
            await Containers.KillContainerAsync(ContainerId, new ContainerKillParameters { Signal = signal });
        }
        catch (DockerContainerNotFoundException)
        {
        }
        catch (DockerApiException e) when (e.StatusCode == System.Net.HttpStatusCode.Conflict)
        {
            // Not running any more: it ended on its own meanwhile.
        }
        catch (Exception e) when (e is DockerApiException || DockerEngine.IsUnreachable(e))
        {
            LogNotSignalled(_spec.Id, ShortId, signal, DockerEngine.IsUnreachable(e) ? _engine.Unreachable(e) : e.Message);
        }
    }

    private async Task StopAfterAsync(TimeSpan limit)
    {
        if (await Task.WhenAny(Exited, Task.Delay(limit)) != Exited)
            await StopAsync("time limit");
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Workload {WorkloadId}: container {Container} ended with exit code {ExitCode} ({Reason})")]
    private partial void LogEnded(string workloadId, string container, int exitCode, string reason);

    [LoggerMessage(Level = LogLevel.Error, Message = "Workload {WorkloadId}: following the end of container {Container} failed")]
    private partial void LogFinishFailed(Exception exception, string workloadId, string container);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Workload {WorkloadId}: container {Container} did not stop within {GraceSeconds} s of SIGTERM; killed")]
    private partial void LogKilled(string workloadId, string container, double graceSeconds);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Workload {WorkloadId}: could not send {Signal} to container {Container}: {Reason}")]
    private partial void LogNotSignalled(string workloadId, string container, string signal, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Workload {WorkloadId}: could not remove container {Container}: {Reason}")]
    private partial void LogNotRemoved(string workloadId, string container, string reason);
}
