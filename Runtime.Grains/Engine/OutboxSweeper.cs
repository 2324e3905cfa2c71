using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Npgsql;
using Orleans.Runtime;

namespace Runtime.Grains.Engine;

/// <summary>How the silos look for messages a dead silo left undelivered (<c>Runtime:Outbox</c>).</summary>
public sealed class OutboxOptions
{
    public const string Section = "Runtime:Outbox";

    /// <summary>How often each silo looks; a message a silo died holding waits about this long.</summary>
    public TimeSpan SweepInterval { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>How overdue a message must be before it counts as left behind: a live sender delivers it sooner.</summary>
    public TimeSpan Grace { get; set; } = TimeSpan.FromSeconds(5);
}

/// <summary>
/// Finds grains whose stored record holds messages or reminders overdue by more than <see cref="OutboxOptions.Grace"/>
/// (their silo died between writing and delivering, or they were deactivated with something due later)
/// and wakes each. Every silo sweeps; a grain woken twice delivers and fires once.
/// </summary>
public sealed partial class OutboxSweeper(NpgsqlDataSource dataSource, Orleans.IGrainFactory grains, TimeProvider time,
    IOptions<OutboxOptions> options, ILogger<OutboxSweeper> logger) : BackgroundService
{
    private const int Batch = 500;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(options.Value.SweepInterval, time);
        while (await timer.WaitForNextTickAsync(stoppingToken))
        {
            try
            {
                await SweepAsync(stoppingToken);
            }
            catch (Exception e) when (e is NpgsqlException or TimeoutException or OrleansException)
            {
                LogSweepFailed(e);
            }
        }
    }

    /// <summary>One sweep; answers how many grains it woke.</summary>
    public async Task<int> SweepAsync(CancellationToken cancellationToken = default)
    {
        var tables = new List<(string State, string Table)> { ("", "grain_states") };
        await using (var list = dataSource.CreateCommand("SELECT state_name, table_name FROM grain_state_tables"))
        await using (var reader = await list.ExecuteReaderAsync(cancellationToken))
        {
            while (await reader.ReadAsync(cancellationToken))
                tables.Add((reader.GetString(0), reader.GetString(1)));
        }
        var woken = 0;
        foreach (var (state, table) in tables)
        {
            foreach (var key in await OverdueAsync(table, cancellationToken))
            {
                // grain_states keys carry their state name: "<state>/<key>".
                var (type, grainKey) = state.Length > 0 ? (state, key) : (key[..key.IndexOf('/')], key[(key.IndexOf('/') + 1)..]);
                try
                {
                    await grains.GetGrain<IRuntimeGrain>(IdOf(type, grainKey)).Wake();
                    woken++;
                }
                catch (Exception e) when (e is not OperationCanceledException)
                {
                    LogWakeFailed(e, type, grainKey);
                }
            }
        }
        if (woken > 0)
            LogWoken(woken);
        return woken;
    }

    private async Task<List<string>> OverdueAsync(string table, CancellationToken ct)
    {
        // The table name comes from grain_state_tables, written only by migrations.
        await using var command = dataSource.CreateCommand($$"""
            SELECT key FROM "{{table}}"
            WHERE EXISTS (SELECT 1 FROM jsonb_array_elements(coalesce(meta -> 'outbox', '[]')) m WHERE (m ->> 'dueAt')::timestamptz < $1)
               OR EXISTS (SELECT 1 FROM jsonb_each(coalesce(meta -> 'reminders', '{}')) r WHERE (r.value ->> 'dueAt')::timestamptz < $1)
            LIMIT {{Batch}}
            """);
        command.Parameters.Add(new NpgsqlParameter { Value = time.GetUtcNow() - options.Value.Grace });
        var keys = new List<string>();
        await using var reader = await command.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct))
            keys.Add(reader.GetString(0));
        return keys;
    }

    private static Orleans.Runtime.GrainId IdOf(string type, string key) => Guid.TryParse(key, out var guid)
        ? Orleans.Runtime.GrainId.Create(GrainType.Create(type), GrainIdKeyExtensions.CreateGuidKey(guid))
        : Orleans.Runtime.GrainId.Create(type, key);

    [LoggerMessage(Level = LogLevel.Information, Message = "Woke {Count} grains holding messages a silo left undelivered")]
    private partial void LogWoken(int count);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not wake {Type}/{Key} to deliver its messages; the next sweep tries again")]
    private partial void LogWakeFailed(Exception exception, string type, string key);

    [LoggerMessage(Level = LogLevel.Warning, Message = "The outbox sweep failed; the next one tries again")]
    private partial void LogSweepFailed(Exception exception);
}
