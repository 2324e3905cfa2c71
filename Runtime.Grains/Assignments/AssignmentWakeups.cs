using System.Collections.Concurrent;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Npgsql;
using Runtime.Grains.Silos;

namespace Runtime.Grains.Assignments;

/// <summary>
/// Wakes whoever waits for an environment's assignments (the agent gateway's long-polls) when one is
/// queued for it: every queued assignment is announced on the assignments channel with its environment,
/// so a thousand waiting agents are not all woken for one. Without a live LISTEN, waiters poll.
/// </summary>
public sealed partial class AssignmentWakeups(NpgsqlDataSource dataSource, TimeProvider time, ILogger<AssignmentWakeups> logger) : BackgroundService
{
    private static readonly TimeSpan PollWithoutListen = TimeSpan.FromMilliseconds(500);

    private readonly ConcurrentDictionary<string, Signal> _signals = new(StringComparer.Ordinal);
    private volatile bool _live;

    /// <summary>The wake-up of <paramref name="environment"/>; take it before looking for work, so that nothing queued meanwhile is missed.</summary>
    public Signal For(string environment) => _signals.GetOrAdd(environment, _ => new Signal());

    /// <summary>Waits on <paramref name="signal"/> at most <paramref name="timeout"/> (less while not listening); true when woken.</summary>
    public Task<bool> WaitAsync(Signal signal, TimeSpan timeout, CancellationToken ct) =>
        signal.WaitAsync(_live || timeout < PollWithoutListen ? timeout : PollWithoutListen, time, ct);

    protected override Task ExecuteAsync(CancellationToken stoppingToken) => ListeningConnection.RunAsync(
        dataSource,
        [Channels.Assignments],
        e => Wake(e.Payload),
        failures =>
        {
            _live = true;
            if (failures > 0)
                LogReconnected(failures);
            WakeAll(); // anything queued while nobody listened
        },
        (error, failures) =>
        {
            _live = false;
            LogListenFailed(error, failures);
            WakeAll();
        },
        time,
        stoppingToken);

    // The payload is the queue: an environment, or one agent's own queue (environment@agent).
    private void Wake(string queue)
    {
        var at = queue.IndexOf('@', StringComparison.Ordinal);
        if (_signals.TryGetValue(at < 0 ? queue : queue[..at], out var signal))
            signal.Set();
    }

    private void WakeAll()
    {
        foreach (var signal in _signals.Values)
            signal.Set();
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Listening for assignments again after {Failures} failed attempts")]
    private partial void LogReconnected(int failures);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Lost the assignments LISTEN connection ({Failures} failures in a row); agents' long-polls poll until it is back")]
    private partial void LogListenFailed(Exception error, int failures);
}
