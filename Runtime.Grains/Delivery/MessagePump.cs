using System.Diagnostics;
using System.Text.Json;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Npgsql;
using Runtime.Grains.Telemetry;

namespace Runtime.Grains.Delivery;

/// <summary>Delivers durable messages: each one is a grain call that consumes the message in its own transaction.</summary>
public sealed partial class MessagePump(
    NpgsqlDataSource dataSource,
    GrainCallExecutor executor,
    SiloIdentity silo,
    DeliverySignals signals,
    TimeProvider time,
    IOptions<DeliveryOptions> options,
    ILogger<MessagePump> logger) : DeliveryLoop(dataSource, "messages", signals.Messages, time, options.Value, logger)
{
    private sealed record Claimed(long Id, GrainId Grain, string Method, string Args, DateTimeOffset DueAt, int Attempts, string? TraceParent);

    public override async Task<int> RunOnceAsync(CancellationToken cancellationToken)
    {
        var batch = await ClaimAsync(cancellationToken);
        await Parallel.ForEachAsync(batch, new ParallelOptions { MaxDegreeOfParallelism = Options.MaxConcurrency },
            async (message, _) => await DeliverAsync(message));
        return batch.Count;
    }

    private async Task<List<Claimed>> ClaimAsync(CancellationToken ct)
    {
        await using var command = DataSource.CreateCommand("""
            UPDATE messages m SET claimed_by = $1, available_at = $2 + $3
            WHERE m.id IN (
                SELECT id FROM messages WHERE available_at <= $2
                ORDER BY available_at LIMIT $4
                FOR UPDATE SKIP LOCKED)
            RETURNING m.id, m.grain_type, m.grain_key, m.method, m.args::text, m.due_at, m.attempts, m.trace_parent
            """);
        command.Parameters.Add(new NpgsqlParameter { Value = silo.Id });
        command.Parameters.Add(new NpgsqlParameter { Value = Time.GetUtcNow() });
        command.Parameters.Add(new NpgsqlParameter { Value = Options.LeaseDuration });
        command.Parameters.Add(new NpgsqlParameter { Value = Options.BatchSize });
        var claimed = new List<Claimed>();
        await using var reader = await command.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct))
        {
            claimed.Add(new Claimed(reader.GetInt64(0), new GrainId(reader.GetString(1), reader.GetString(2)), reader.GetString(3),
                reader.GetString(4), reader.GetFieldValue<DateTimeOffset>(5), reader.GetInt32(6), reader.IsDBNull(7) ? null : reader.GetString(7)));
        }
        return claimed;
    }

    private async Task DeliverAsync(Claimed message)
    {
        ActivityContext.TryParse(message.TraceParent, null, out var parent);
        using var span = GrainInstruments.Source.StartActivity($"deliver {message.Grain.Type}.{message.Method}", ActivityKind.Consumer, parent);
        span?.SetTag("runtime.grain.id", message.Grain.ToString());
        span?.SetTag("runtime.message.id", message.Id);

        var registration = executor.Registry.Find(message.Grain.Type);
        var method = registration?.Method(message.Method);
        if (registration is null || method is null || method.ResultType is not null)
        {
            await DeadLetterAsync(message, $"No one-way method {message.Grain.Type}.{message.Method} is registered in this build.");
            return;
        }

        object?[] args;
        try
        {
            args = ReadArgs(message.Args, method);
        }
        catch (JsonException e)
        {
            await DeadLetterAsync(message, $"Arguments do not fit {message.Grain.Type}.{message.Method}: {e.Message}");
            return;
        }

        var call = new GrainCall(registration, message.Grain, message.Method, ReadOnly: false,
            Guard: () => Outbox.Command("DELETE FROM messages WHERE id = $1 AND claimed_by = $2", message.Id, silo.Id));
        try
        {
            var outcome = await executor.ExecuteAsync(call, grain => method.InvokeAsync(grain, args), CancellationToken.None);
            GrainInstruments.Messages.Add(1, new KeyValuePair<string, object?>("outcome", outcome.Executed ? "delivered" : "duplicate"));
            if (outcome.Executed)
                GrainInstruments.MessageLatency.Record((Time.GetUtcNow() - message.DueAt).TotalMilliseconds);
        }
        catch (DomainException e)
        {
            // The grain refused: retrying will not change its mind.
            LogRefused(message.Grain, message.Method, e.Message);
            await DeadLetterAsync(message, $"{e.Title}: {e.Detail}");
        }
        catch (Exception e)
        {
            await RetryOrDeadLetterAsync(message, e);
        }
    }

    private static object?[] ReadArgs(string json, GrainMethod method)
    {
        using var document = JsonDocument.Parse(json);
        var elements = document.RootElement.EnumerateArray().ToArray();
        if (elements.Length != method.Parameters.Length)
            throw new JsonException($"expected {method.Parameters.Length} arguments, found {elements.Length}");
        var args = new object?[elements.Length];
        for (var i = 0; i < elements.Length; i++)
            args[i] = elements[i].Deserialize(method.Parameters[i].ParameterType, GrainJson.Options);
        return args;
    }

    private async Task RetryOrDeadLetterAsync(Claimed message, Exception error)
    {
        var attempts = message.Attempts + 1;
        if (attempts >= Options.MaxAttempts)
        {
            LogGaveUp(error, message.Grain, message.Method, attempts);
            await DeadLetterAsync(message, error.Message);
            return;
        }
        var retryAt = Time.GetUtcNow() + Options.RetryDelay(attempts);
        LogRetrying(error, message.Grain, message.Method, attempts, retryAt);
        await using var command = DataSource.CreateCommand("""
            UPDATE messages SET attempts = attempts + 1, available_at = $3, claimed_by = NULL, last_error = $4
            WHERE id = $1 AND claimed_by = $2
            """);
        foreach (var value in new object[] { message.Id, silo.Id, retryAt, error.Message })
            command.Parameters.Add(new NpgsqlParameter { Value = value });
        await command.ExecuteNonQueryAsync();
        GrainInstruments.Messages.Add(1, new KeyValuePair<string, object?>("outcome", "retry"));
    }

    private async Task DeadLetterAsync(Claimed message, string error)
    {
        await using var command = DataSource.CreateCommand("""
            WITH m AS (DELETE FROM messages WHERE id = $1 AND claimed_by = $2 RETURNING *)
            INSERT INTO dead_letters (source, grain_type, grain_key, name, payload, attempts, error, created_at)
            SELECT 'message', grain_type, grain_key, method, args, attempts + 1, $3, created_at FROM m
            """);
        foreach (var value in new object[] { message.Id, silo.Id, error })
            command.Parameters.Add(new NpgsqlParameter { Value = value });
        if (await command.ExecuteNonQueryAsync() > 0)
        {
            LogDeadLettered(message.Grain, message.Method, message.Id, error);
            GrainInstruments.Messages.Add(1, new KeyValuePair<string, object?>("outcome", "dead"));
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Grain {GrainId} refused message {Method}: {Reason}")]
    private partial void LogRefused(GrainId grainId, string method, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Message {Method} to {GrainId} failed (attempt {Attempt}); retrying at {RetryAt:O}")]
    private partial void LogRetrying(Exception exception, GrainId grainId, string method, int attempt, DateTimeOffset retryAt);

    [LoggerMessage(Level = LogLevel.Error, Message = "Message {Method} to {GrainId} failed {Attempts} times; giving up")]
    private partial void LogGaveUp(Exception exception, GrainId grainId, string method, int attempts);

    [LoggerMessage(Level = LogLevel.Error, Message = "Message {Method} to {GrainId} (id {MessageId}) moved to dead_letters: {Error}")]
    private partial void LogDeadLettered(GrainId grainId, string method, long messageId, string error);
}
