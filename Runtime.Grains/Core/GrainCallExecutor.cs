using System.Diagnostics;
using System.Text.Json;
using Microsoft.Extensions.Logging;
using Npgsql;
using NpgsqlTypes;
using Runtime.Grains.Activities;
using Runtime.Grains.Telemetry;

namespace Runtime.Grains;

/// <summary>What to run as a grain call, and an optional guard checked under the grain's lock.</summary>
/// <param name="Guard">
/// Run right after the grain's row is locked; when it affects no row the call is skipped. Deliveries
/// use it to consume their message or advance their reminder in the same transaction, which makes a
/// redelivery after a crash a no-op.
/// </param>
internal sealed record GrainCall(GrainRegistration Registration, GrainId Id, string Operation, bool ReadOnly, Func<NpgsqlBatchCommand>? Guard = null);

/// <summary>The result of a call, or <see cref="Executed"/> false when its guard skipped it.</summary>
internal readonly record struct GrainCallOutcome(bool Executed, object? Result);

/// <summary>
/// Runs grain calls: one PostgreSQL transaction each, under the grain's row lock, with the state
/// write and the outbox sent in one batch before the commit (DESIGN §3).
/// </summary>
public sealed partial class GrainCallExecutor(
    NpgsqlDataSource dataSource,
    GrainRegistry registry,
    ActivityRegistry activities,
    IServiceProvider services,
    TimeProvider time,
    ILogger<GrainCallExecutor> logger)
{
    private const int MaxAttempts = 5;

    internal GrainRegistry Registry => registry;

    internal async Task<object?> InvokeAsync(GrainRegistration registration, GrainId id, GrainMethod method, object?[] args)
    {
        var call = new GrainCall(registration, id, method.Name, method.ReadOnly);
        var outcome = await ExecuteAsync(call, grain => method.InvokeAsync(grain, args), CancellationToken.None).ConfigureAwait(false);
        return outcome.Result;
    }

    internal async Task<GrainCallOutcome> ExecuteAsync(GrainCall call, Func<object, Task<object?>> body, CancellationToken cancellationToken)
    {
        using var span = GrainInstruments.Source.StartActivity($"grain {call.Id.Type}.{call.Operation}");
        span?.SetTag("runtime.grain.id", call.Id.ToString());
        span?.SetTag("runtime.grain.operation", call.Operation);
        var started = Stopwatch.GetTimestamp();
        var outcome = "ok";
        try
        {
            for (var attempt = 1; ; attempt++)
            {
                try
                {
                    var result = await TryOnceAsync(call, body, cancellationToken).ConfigureAwait(false);
                    if (result is { } done)
                    {
                        if (!done.Executed)
                            outcome = "skipped";
                        return done;
                    }
                    // Another call created this grain between our read and our insert: run again on its row.
                }
                catch (PostgresException e) when (e.SqlState == PostgresErrorCodes.UniqueViolation && e.ConstraintName?.StartsWith("ux_", StringComparison.Ordinal) == true)
                {
                    // Unique indexes on generated columns are named ux_<table>_<column>.
                    var column = e.ConstraintName[(4 + call.Registration.Table.Length)..];
                    throw new ConflictException($"{column} already taken", $"Another {call.Id.Type} already uses this {column}; choose a different one.");
                }
                catch (PostgresException e) when (e.SqlState is PostgresErrorCodes.DeadlockDetected or PostgresErrorCodes.SerializationFailure && attempt < MaxAttempts)
                {
                    LogRetry(call.Id, call.Operation, e.SqlState, attempt);
                }
                if (attempt >= MaxAttempts)
                    throw new InvalidOperationException($"Grain call {call.Id}.{call.Operation} did not settle after {MaxAttempts} attempts.");
            }
        }
        catch (DomainException e)
        {
            outcome = "refused";
            span?.SetTag("runtime.refusal", e.Kind);
            throw;
        }
        catch (Exception e)
        {
            outcome = "error";
            span?.SetStatus(ActivityStatusCode.Error, e.Message);
            throw;
        }
        finally
        {
            var tags = new TagList { { "runtime.grain.type", call.Id.Type }, { "runtime.grain.operation", call.Operation }, { "outcome", outcome } };
            GrainInstruments.Calls.Add(1, tags);
            GrainInstruments.CallDuration.Record(Stopwatch.GetElapsedTime(started).TotalMilliseconds, tags);
        }
    }

    /// <summary>One attempt; null when it must be retried because the grain's row appeared meanwhile.</summary>
    private async Task<GrainCallOutcome?> TryOnceAsync(GrainCall call, Func<object, Task<object?>> body, CancellationToken ct)
    {
        var registration = call.Registration;
        await using var connection = await dataSource.OpenConnectionAsync(ct).ConfigureAwait(false);
        await using var transaction = call.ReadOnly ? null : await connection.BeginTransactionAsync(ct).ConfigureAwait(false);

        // Lock and load, then the guard, in one round trip: the grain's lock is always taken first,
        // so calls and deliveries touching the same rows cannot deadlock.
        long version = 0;
        string? json = null;
        await using (var load = new NpgsqlBatch(connection, transaction))
        {
            load.BatchCommands.Add(Outbox.Command(call.ReadOnly ? registration.SelectSql : registration.SelectForUpdateSql, call.Id.Key));
            var guard = call.Guard?.Invoke();
            if (guard is not null)
                load.BatchCommands.Add(guard);
            await using (var reader = await load.ExecuteReaderAsync(ct).ConfigureAwait(false))
            {
                if (await reader.ReadAsync(ct).ConfigureAwait(false))
                {
                    version = reader.GetInt64(0);
                    json = reader.GetString(1);
                }
            }
            if (guard is { RecordsAffected: 0 })
                return new GrainCallOutcome(false, null);
        }

        var state = json is null ? registration.NewState() : JsonSerializer.Deserialize(json, registration.StateType, GrainJson.Options)!;
        var context = new GrainContext(call.Id, version, time.GetUtcNow(), call.ReadOnly, registry, activities, connection, transaction);
        var grain = registration.Activate(services);
        grain.Attach(context, state);
        var result = await body(grain).ConfigureAwait(false);
        if (transaction is null)
            return new GrainCallOutcome(true, result);

        await using (var save = new NpgsqlBatch(connection, transaction))
        {
            NpgsqlBatchCommand? insert = null;
            if (context.Deleted)
            {
                if (version > 0)
                    save.BatchCommands.Add(Outbox.Command(registration.DeleteSql, call.Id.Key));
                save.BatchCommands.Add(Outbox.Command("DELETE FROM reminders WHERE grain_type = $1 AND grain_key = $2", call.Id.Type, call.Id.Key));
                save.BatchCommands.Add(Outbox.Command("DELETE FROM messages WHERE grain_type = $1 AND grain_key = $2", call.Id.Type, call.Id.Key));
            }
            else
            {
                var stateText = JsonSerializer.Serialize(grain.State, registration.StateType, GrainJson.Options);
                // A call that leaves a never-written (or deleted) grain as it was and emits nothing writes
                // nothing: a late message to a deleted grain must not bring back an empty one. One that
                // emits work still writes the row, which serialises its callers.
                if (version > 0 || stateText != registration.NewStateJson || !context.Outbox.IsEmpty)
                {
                    var write = Outbox.Command(version == 0 ? registration.InsertSql : registration.UpdateSql, call.Id.Key,
                        new NpgsqlParameter { NpgsqlDbType = NpgsqlDbType.Jsonb, Value = stateText });
                    save.BatchCommands.Add(write);
                    if (version == 0)
                        insert = write;
                }
            }
            context.Outbox.AppendTo(save, call.Id);
            if (registration.AnnouncesChanges)
                save.BatchCommands.Add(Outbox.Command("SELECT pg_notify($1, $2)", Channels.Changes, call.Id.ToString()));
            if (save.BatchCommands.Count > 0)
                await save.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
            if (insert is { RecordsAffected: 0 })
                return null;
        }
        await transaction.CommitAsync(ct).ConfigureAwait(false);
        return new GrainCallOutcome(true, result);
    }

    [LoggerMessage(Level = LogLevel.Debug, Message = "Grain call {GrainId}.{Operation} hit {SqlState} on attempt {Attempt}; retrying")]
    private partial void LogRetry(GrainId grainId, string operation, string sqlState, int attempt);
}
