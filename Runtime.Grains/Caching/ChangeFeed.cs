using System.Collections.Concurrent;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Npgsql;
using Runtime.Grains.Silos;

namespace Runtime.Grains.Caching;

/// <summary>
/// The committed writes of grains that announce their changes (<see cref="Channels.Changes"/>), heard
/// on one LISTEN connection, for caches of their state in other processes. A cache may keep what it
/// read only while the feed <see cref="IsLive">is live</see> and no change of that grain type arrived
/// meanwhile (<see cref="Generation"/> unchanged); when the connection drops, every cache is reset,
/// because changes may have been missed.
/// </summary>
public sealed partial class ChangeFeed(NpgsqlDataSource dataSource, TimeProvider time, ILogger<ChangeFeed> logger) : BackgroundService
{
    private readonly ConcurrentDictionary<string, long> _generations = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, List<Action<string?>>> _subscribers = new(StringComparer.Ordinal);
    private volatile bool _live;
    private long _resets;

    public bool IsLive => _live;

    /// <summary>Changes so far of <paramref name="grainType"/>, resets included: read it before a lookup, compare after.</summary>
    public long Generation(string grainType) => _generations.GetValueOrDefault(grainType) + Interlocked.Read(ref _resets);

    /// <summary>Whether a value read after <see cref="Generation"/> returned <paramref name="before"/> may be kept.</summary>
    public bool MayKeep(string grainType, long before) => _live && Generation(grainType) == before;

    /// <summary>Calls <paramref name="changed"/> with the key of each changed grain of <paramref name="grainType"/>, and with null on a reset.</summary>
    public void Subscribe(string grainType, Action<string?> changed)
    {
        var list = _subscribers.GetOrAdd(grainType, _ => []);
        lock (list)
            list.Add(changed);
    }

    protected override Task ExecuteAsync(CancellationToken stoppingToken) => ListeningConnection.RunAsync(
        dataSource,
        [Channels.Changes],
        e => Changed(e.Payload),
        _ => _live = true,
        (error, failures) =>
        {
            // Changes may have been missed while the connection was down: every cache starts over.
            Reset();
            LogListenFailed(error, failures);
        },
        time,
        stoppingToken);

    private void Changed(string payload)
    {
        var slash = payload.IndexOf('/');
        if (slash <= 0)
            return;
        var type = payload[..slash];
        _generations.AddOrUpdate(type, 1, (_, n) => n + 1);
        Notify(type, payload[(slash + 1)..]);
    }

    private void Reset()
    {
        _live = false;
        Interlocked.Increment(ref _resets);
        foreach (var type in _subscribers.Keys)
            Notify(type, null);
    }

    private void Notify(string type, string? key)
    {
        if (!_subscribers.TryGetValue(type, out var list))
            return;
        Action<string?>[] callbacks;
        lock (list)
            callbacks = [.. list];
        foreach (var callback in callbacks)
            callback(key);
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Listening for grain changes failed ({Failures} in a row); caches are off until it is back")]
    private partial void LogListenFailed(Exception error, int failures);
}

public static class ChangeFeedExtensions
{
    /// <summary>One <see cref="ChangeFeed"/> per process, started with the host.</summary>
    public static IServiceCollection AddChangeFeed(this IServiceCollection services)
    {
        services.TryAddSingleton<ChangeFeed>();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IHostedService, ChangeFeed>(sp => sp.GetRequiredService<ChangeFeed>()));
        return services;
    }
}
