using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Npgsql;
using Runtime.Grains.Silos;

namespace Runtime.Grains.Logs;

/// <summary>
/// Wakes the followers of a workload's log when lines of it are stored (or its run ends): the store
/// announces each append on <see cref="Channels.Logs"/> with the workload id, and this one LISTEN
/// connection per process hands the announcement to every follower of that workload. Followers still
/// read every <see cref="LogFollowOptions.Poll"/> in case, and every
/// <see cref="LogFollowOptions.PollWithoutListen"/> while the connection is down.
/// </summary>
public sealed partial class LogWakeups(
    NpgsqlDataSource dataSource,
    IOptions<LogFollowOptions> options,
    TimeProvider time,
    ILogger<LogWakeups> logger) : BackgroundService
{
    private readonly LogFollowOptions _options = options.Value;
    private readonly Lock _gate = new();
    private readonly Dictionary<string, HashSet<LogFollower>> _followers = new(StringComparer.Ordinal);
    private TaskCompletionSource _live = NewLive();

    /// <summary>How followers poll and keep their streams alive.</summary>
    public LogFollowOptions Options => _options;

    /// <summary>Whether the LISTEN is in place, so that stored lines wake their followers.</summary>
    public bool IsLive => Volatile.Read(ref _live).Task.IsCompleted;

    /// <summary>Completes once the LISTEN is in place (again, after a lost connection).</summary>
    public Task Live => Volatile.Read(ref _live).Task;

    /// <summary>Starts following <paramref name="workloadId"/>; take it before the first read, so that no line stored meanwhile is missed.</summary>
    public LogFollower Follow(string workloadId)
    {
        var follower = new LogFollower(this, workloadId);
        lock (_gate)
        {
            if (!_followers.TryGetValue(workloadId, out var set))
                _followers[workloadId] = set = [];
            set.Add(follower);
        }
        return follower;
    }

    internal Task<bool> WaitAsync(LogFollower follower, TimeSpan atMost, CancellationToken ct)
    {
        var poll = IsLive ? _options.Poll : _options.PollWithoutListen;
        return follower.Signal.WaitAsync(atMost < poll ? atMost : poll, time, ct);
    }

    internal void Unfollow(LogFollower follower)
    {
        lock (_gate)
        {
            if (_followers.TryGetValue(follower.WorkloadId, out var set) && set.Remove(follower) && set.Count == 0)
                _followers.Remove(follower.WorkloadId);
        }
    }

    protected override Task ExecuteAsync(CancellationToken stoppingToken) => ListeningConnection.RunAsync(
        dataSource,
        [Channels.Logs],
        e => Wake(e.Payload),
        failures =>
        {
            Volatile.Read(ref _live).TrySetResult();
            if (failures > 0)
                LogReconnected(failures);
            // Lines stored while nobody listened must not wait for the next poll.
            WakeAll();
        },
        (error, failures) =>
        {
            LogListenFailed(error, failures);
            if (!Volatile.Read(ref _live).Task.IsCompleted)
                return; // a reconnect failed: followers already poll
            Volatile.Write(ref _live, NewLive());
            // Followers waiting for a notification that cannot come now read again, then poll.
            WakeAll();
        },
        time,
        stoppingToken);

    private void Wake(string workloadId)
    {
        lock (_gate)
        {
            if (_followers.TryGetValue(workloadId, out var set))
            {
                foreach (var follower in set)
                    follower.Signal.Set();
            }
        }
    }

    private void WakeAll()
    {
        lock (_gate)
        {
            foreach (var follower in _followers.Values.SelectMany(set => set))
                follower.Signal.Set();
        }
    }

    private static TaskCompletionSource NewLive() => new(TaskCreationOptions.RunContinuationsAsynchronously);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Lost the log LISTEN connection ({Failures} failures in a row); log followers poll the store until it is back")]
    private partial void LogListenFailed(Exception error, int failures);

    [LoggerMessage(Level = LogLevel.Information, Message = "Listening for stored log lines again after {Failures} failed attempts; log followers are woken by notifications again")]
    private partial void LogReconnected(int failures);
}

/// <summary>Registration of <see cref="LogWakeups"/>.</summary>
public static class LogWakeupsExtensions
{
    /// <summary>One <see cref="LogWakeups"/> (one LISTEN connection) per process, started with the host.</summary>
    public static IServiceCollection AddLogWakeups(this IServiceCollection services)
    {
        services.AddOptions<LogFollowOptions>().BindConfiguration(LogFollowOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        services.TryAddSingleton<LogWakeups>();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IHostedService, LogWakeups>(sp => sp.GetRequiredService<LogWakeups>()));
        return services;
    }
}
