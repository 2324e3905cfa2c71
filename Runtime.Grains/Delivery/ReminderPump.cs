using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Npgsql;
using Runtime.Grains.Reminders;
using Runtime.Grains.Telemetry;

namespace Runtime.Grains.Delivery;

/// <summary>
/// Fires due reminders. A tick is one grain call whose transaction also moves the reminder to its
/// next due time (or deletes a one-shot), so a tick commits exactly once however often it is claimed.
/// </summary>
public sealed partial class ReminderPump(
    NpgsqlDataSource dataSource,
    GrainCallExecutor executor,
    SiloIdentity silo,
    DeliverySignals signals,
    TimeProvider time,
    IOptions<DeliveryOptions> options,
    ILogger<ReminderPump> logger) : DeliveryLoop(dataSource, "reminders", signals.Reminders, time, options.Value, logger)
{
    private const string Where = "grain_type = $1 AND grain_key = $2 AND name = $3 AND claimed_by = $4 AND due_at = $5";

    private sealed record Claimed(GrainId Grain, string Name, ReminderSchedule Schedule, DateTimeOffset DueAt, int Attempts);

    public override async Task<int> RunOnceAsync(CancellationToken cancellationToken)
    {
        var batch = await ClaimAsync(cancellationToken);
        await Parallel.ForEachAsync(batch, new ParallelOptions { MaxDegreeOfParallelism = Options.MaxConcurrency },
            async (reminder, _) => await FireAsync(reminder));
        return batch.Count;
    }

    private async Task<List<Claimed>> ClaimAsync(CancellationToken ct)
    {
        await using var command = DataSource.CreateCommand("""
            UPDATE reminders r SET claimed_by = $1, available_at = $2 + $3
            FROM (SELECT grain_type, grain_key, name FROM reminders WHERE available_at <= $2
                  ORDER BY available_at LIMIT $4 FOR UPDATE SKIP LOCKED) due
            WHERE r.grain_type = due.grain_type AND r.grain_key = due.grain_key AND r.name = due.name
            RETURNING r.grain_type, r.grain_key, r.name, r.schedule::text, r.due_at, r.attempts
            """);
        command.Parameters.Add(new NpgsqlParameter { Value = silo.Id });
        command.Parameters.Add(new NpgsqlParameter { Value = Time.GetUtcNow() });
        command.Parameters.Add(new NpgsqlParameter { Value = Options.LeaseDuration });
        command.Parameters.Add(new NpgsqlParameter { Value = Options.BatchSize });
        var claimed = new List<Claimed>();
        await using var reader = await command.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct))
        {
            claimed.Add(new Claimed(new GrainId(reader.GetString(0), reader.GetString(1)), reader.GetString(2),
                ReminderSchedule.FromJson(reader.GetString(3)), reader.GetFieldValue<DateTimeOffset>(4), reader.GetInt32(5)));
        }
        return claimed;
    }

    private async Task FireAsync(Claimed reminder)
    {
        var now = Time.GetUtcNow();
        var next = reminder.Schedule.NextDue(reminder.DueAt, now);
        GrainInstruments.ReminderLateness.Record((now - reminder.DueAt).TotalMilliseconds,
            new KeyValuePair<string, object?>("runtime.grain.type", reminder.Grain.Type));

        var registration = executor.Registry.Find(reminder.Grain.Type);
        if (registration is null || !typeof(IRemindable).IsAssignableFrom(registration.Implementation))
        {
            LogUnknownTarget(reminder.Grain, reminder.Name);
            await AdvanceAsync(reminder, null, "no remindable grain of this type is registered");
            return;
        }

        var tick = new ReminderTick(reminder.Name, reminder.DueAt, now, next);
        var call = new GrainCall(registration, reminder.Grain, nameof(IRemindable.ReceiveReminder), ReadOnly: false, Guard: () => AdvanceCommand(reminder, next));
        try
        {
            var outcome = await executor.ExecuteAsync(call, async grain =>
            {
                await ((IRemindable)grain).ReceiveReminder(reminder.Name, tick);
                return null;
            }, CancellationToken.None);
            GrainInstruments.ReminderFires.Add(1, new KeyValuePair<string, object?>("outcome", outcome.Executed ? "fired" : "duplicate"));
        }
        catch (Exception e)
        {
            GrainInstruments.ReminderFires.Add(1, new KeyValuePair<string, object?>("outcome", "failed"));
            var attempts = reminder.Attempts + 1;
            if (next is null && e is not DomainException && attempts < Options.MaxAttempts)
            {
                // A one-shot tick has no next time to fall back on: retry it.
                var retryAt = now + Options.RetryDelay(attempts);
                LogRetrying(e, reminder.Grain, reminder.Name, attempts, retryAt);
                await using var retry = DataSource.CreateCommand($"UPDATE reminders SET attempts = attempts + 1, available_at = $6, claimed_by = NULL WHERE {Where}");
                AddKey(retry, reminder).Parameters.Add(new NpgsqlParameter { Value = retryAt });
                await retry.ExecuteNonQueryAsync();
                return;
            }
            LogTickFailed(e, reminder.Grain, reminder.Name, next);
            await AdvanceAsync(reminder, next, e.Message);
        }
    }

    /// <summary>Moves past a tick that could not be delivered; a one-shot's last failure goes to dead_letters.</summary>
    private async Task AdvanceAsync(Claimed reminder, DateTimeOffset? next, string error)
    {
        await using var connection = await DataSource.OpenConnectionAsync();
        await using var batch = new NpgsqlBatch(connection);
        if (next is null)
        {
            batch.BatchCommands.Add(Outbox.Command("""
                INSERT INTO dead_letters (source, grain_type, grain_key, name, payload, attempts, error, created_at)
                VALUES ('reminder', $1, $2, $3, $4, $5, $6, $7)
                """, reminder.Grain.Type, reminder.Grain.Key, reminder.Name, Outbox.Json(reminder.Schedule.ToJson()),
                reminder.Attempts + 1, error, reminder.DueAt));
        }
        batch.BatchCommands.Add(AdvanceCommand(reminder, next));
        await batch.ExecuteNonQueryAsync();
    }

    private NpgsqlBatchCommand AdvanceCommand(Claimed reminder, DateTimeOffset? next)
    {
        var command = new NpgsqlBatchCommand(next is null
            ? $"DELETE FROM reminders WHERE {Where}"
            : $"UPDATE reminders SET due_at = $6, available_at = $6, claimed_by = NULL, attempts = 0 WHERE {Where}");
        foreach (var value in Key(reminder))
            command.Parameters.Add(new NpgsqlParameter { Value = value });
        if (next is { } n)
            command.Parameters.Add(new NpgsqlParameter { Value = n });
        return command;
    }

    private object[] Key(Claimed r) => [r.Grain.Type, r.Grain.Key, r.Name, silo.Id, r.DueAt];

    private NpgsqlCommand AddKey(NpgsqlCommand command, Claimed reminder)
    {
        foreach (var value in Key(reminder))
            command.Parameters.Add(new NpgsqlParameter { Value = value });
        return command;
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "Reminder {Name} of {GrainId} targets no remindable grain type in this build; dropping the tick")]
    private partial void LogUnknownTarget(GrainId grainId, string name);

    [LoggerMessage(Level = LogLevel.Warning, Message = "One-shot reminder {Name} of {GrainId} failed (attempt {Attempt}); retrying at {RetryAt:O}")]
    private partial void LogRetrying(Exception exception, GrainId grainId, string name, int attempt, DateTimeOffset retryAt);

    [LoggerMessage(Level = LogLevel.Error, Message = "Reminder {Name} of {GrainId} failed; moving on to its next tick at {Next:O}")]
    private partial void LogTickFailed(Exception exception, GrainId grainId, string name, DateTimeOffset? next);
}
