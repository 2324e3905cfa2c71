using System.Collections.Concurrent;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Npgsql;

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

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var failures = 0;
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await using var connection = await dataSource.OpenConnectionAsync(stoppingToken);
                connection.Notification += (_, e) => Changed(e.Payload);
                await using (var listen = new NpgsqlCommand($"LISTEN {Channels.Changes}", connection))
                    await listen.ExecuteNonQueryAsync(stoppingToken);
                _live = true;
                failures = 0;
                while (!stoppingToken.IsCancellationRequested)
                {
                    if (!await connection.WaitAsync(TimeSpan.FromSeconds(30), stoppingToken))
                    {
                        await using var ping = new NpgsqlCommand("SELECT 1", connection);
                        await ping.ExecuteScalarAsync(stoppingToken);
                    }
                }
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e)
            {
                failures++;
                LogListenFailed(e, failures);
                await Task.Delay(TimeSpan.FromMilliseconds(Math.Min(10_000, 200 * Math.Pow(2, failures))), time, stoppingToken)
                    .ContinueWith(_ => { }, TaskScheduler.Default);
            }
            finally
            {
                Reset();
            }
        }
    }

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
