using System.Collections.Concurrent;
using Runtime.Execution.Health;
using Runtime.Execution.Logs;
using Microsoft.Extensions.Logging;
using Runtime.Execution.Processes;
using Runtime.Execution.Workloads;

namespace Runtime.Execution.Supervision;

/// <summary>How a supervised start ended.</summary>
public enum StartOutcome
{
    Ready,
    Failed,
    Stopped,
}

/// <summary>
/// Keeps one app running: starts its process and waits until it answers its health path; then probes
/// it every <see cref="AgentOptions.ProbeInterval"/>. A crash, or <see cref="AgentOptions.ProbeFailures"/>
/// failed probes in a row, restart it after a backoff that doubles; after
/// <see cref="AgentOptions.MaxRestarts"/> restarts in a row that do not bring it back, it has failed.
/// The <paramref name="executor"/> decides where it runs: a process or a container.
/// </summary>
public sealed partial class AppSupervisor(
    IWorkloadExecutor executor, ProcessSpec spec, Uri? health, AgentOptions options, HealthProbe probe, ILogSink sink, ILogger logger, string project)
{
    private readonly CancellationTokenSource _stopping = new();
    private readonly RecentLines _recent = new(sink, 20);
    private IRunningWorkload? _workload;

    /// <summary>The workload now running, for the agent's record of it (<see cref="IRunningWorkload.Handle"/>).</summary>
    public IRunningWorkload? Workload => _workload;

    /// <summary>Called with each workload's handle as soon as it is spawned, before it is ready: its agent records it, so that nothing it starts is lost with the agent.</summary>
    public Action<WorkloadHandle>? Spawned { get; init; }

    /// <summary>Called with the new workload's handle after each restart.</summary>
    public Func<WorkloadHandle, string, Task>? Restarted { get; init; }

    /// <summary>Why the app last failed, with its last lines.</summary>
    public string? FailureReason { get; private set; }

    public bool IsStopping => _stopping.IsCancellationRequested;

    /// <summary>Starts the app, restarting it while it crashes during start, until it is ready, has failed, or was stopped.</summary>
    public async Task<StartOutcome> StartAsync()
    {
        for (var attempt = 0; ; attempt++)
        {
            if (attempt > 0 && !await BackoffAsync(attempt))
                return StartOutcome.Stopped;
            var (outcome, crashed) = await LaunchAsync();
            if (outcome != StartOutcome.Failed || !crashed || attempt >= options.MaxRestarts)
                return outcome;
            LogRestarting(project, attempt + 1, FailureReason!);
        }
    }

    /// <summary>How long spawning the last started process took, and then its wait for the first healthy probe.</summary>
    public TimeSpan LastSpawn { get; private set; }

    public TimeSpan LastReady { get; private set; }

    /// <summary>Takes over the app's process or container if it still runs (a new agent adopting it); false when it is gone.</summary>
    public async Task<bool> AdoptAsync(WorkloadHandle handle)
    {
        _workload = await executor.AdoptAsync(spec, handle, _recent, CancellationToken.None);
        return _workload is not null;
    }

    /// <summary>Watches a ready app until it is stopped (null) or has failed for good (the reason).</summary>
    public async Task<string?> SuperviseAsync()
    {
        while (!IsStopping)
        {
            var reason = await WatchAsync();
            if (reason is null)
                return null;
            LogUnhealthy(project, reason);
            await _workload!.StopAsync("restarting: " + reason, TimeSpan.FromSeconds(5));
            _recent.Add($"[runtime] restarting the app: {reason}");
            var outcome = await RestartAsync();
            if (outcome == StartOutcome.Stopped)
                return null;
            if (outcome == StartOutcome.Failed)
                return FailureReason;
            await Restarted!(_workload!.Handle, reason);
        }
        return null;
    }

    public async Task StopAsync(string reason)
    {
        await _stopping.CancelAsync();
        if (_workload is { } workload)
            await workload.StopAsync(reason);
    }

    private async Task<StartOutcome> RestartAsync()
    {
        for (var attempt = 1; attempt <= options.MaxRestarts; attempt++)
        {
            if (!await BackoffAsync(attempt))
                return StartOutcome.Stopped;
            var (outcome, _) = await LaunchAsync();
            if (outcome != StartOutcome.Failed)
                return outcome;
            LogRestarting(project, attempt, FailureReason!);
        }
        FailureReason = $"the app did not come back after {options.MaxRestarts} restarts: {FailureReason}";
        return StartOutcome.Failed;
    }

    // One start: Ready, Failed (crashed: exited by itself; else never ready), or Stopped meanwhile.
    private async Task<(StartOutcome, bool Crashed)> LaunchAsync()
    {
        var clock = System.Diagnostics.Stopwatch.StartNew();
        IRunningWorkload workload;
        try
        {
            workload = _workload = await executor.StartAsync(spec, _recent, _stopping.Token);
        }
        catch (WorkloadStartException e)
        {
            // Starting again would fail the same way (no engine, no image): failed, not crashed.
            FailureReason = $"the app could not be started: {e.Message}";
            return (StartOutcome.Failed, false);
        }
        catch (OperationCanceledException) when (IsStopping)
        {
            return (StartOutcome.Stopped, false);
        }
        Spawned?.Invoke(workload.Handle);
        LastSpawn = clock.Elapsed;
        LogStarted(project, workload.Handle.ToString());
        var ready = health is null || await probe.WaitReadyAsync(health, options.ReadinessTimeout, workload.Exited, _stopping.Token).ContinueWith(t => t.IsCompletedSuccessfully && t.Result);
        LastReady = clock.Elapsed - LastSpawn;
        if (IsStopping)
        {
            await workload.StopAsync("stopped");
            return (StartOutcome.Stopped, false);
        }
        if (ready)
            return (StartOutcome.Ready, false);
        var crashed = workload.Exited.IsCompleted;
        var why = crashed
            ? $"the app exited with code {(await workload.Exited).ExitCode} while starting"
            : $"the app did not answer its health probe ({Probed(health!)}) within {options.ReadinessTimeout.TotalSeconds:0} s";
        await workload.StopAsync("not ready");
        FailureReason = why + _recent.Describe();
        return (StartOutcome.Failed, crashed);
    }

    // Null when stopped; otherwise why the app needs a restart.
    private async Task<string?> WatchAsync()
    {
        var failures = 0;
        var workload = _workload!;
        while (!IsStopping)
        {
            var tick = Task.Delay(options.ProbeInterval, _stopping.Token);
            if (await Task.WhenAny(workload.Exited, tick) == workload.Exited)
            {
                if (IsStopping)
                    return null;
                var exit = await workload.Exited;
                return exit.StopReason ?? (exit.ExitCode < 0 ? "the app exited" : $"the app exited with code {exit.ExitCode}");
            }
            if (IsStopping || health is null)
                continue;
            if (await probe.CheckAsync(health, CancellationToken.None))
                failures = 0;
            else if (++failures >= options.ProbeFailures)
                return $"{failures} health probes of {Probed(health)} failed in a row";
        }
        return null;
    }

    private async Task<bool> BackoffAsync(int attempt)
    {
        var delay = TimeSpan.FromTicks(Math.Min(options.RestartBackoff.Ticks * (1L << Math.Min(attempt - 1, 16)), TimeSpan.FromMinutes(1).Ticks));
        try
        {
            await Task.Delay(delay, _stopping.Token);
            return true;
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }

    public string Describe() => _recent.Describe();

    private static string Probed(Uri health) => health.Scheme == "tcp" ? $"a connection to port {health.Port}" : health.AbsolutePath;

    [LoggerMessage(Level = LogLevel.Information, Message = "{Project}: started {Workload}")]
    private partial void LogStarted(string project, string workload);

    [LoggerMessage(Level = LogLevel.Warning, Message = "{Project}: restart {Attempt} after: {Reason}")]
    private partial void LogRestarting(string project, int attempt, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "{Project} needs a restart: {Reason}")]
    private partial void LogUnhealthy(string project, string reason);
}
