using System.Diagnostics;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Npgsql;
using Runtime.Grains.Activities;
using Runtime.Grains.Telemetry;

namespace Runtime.Grains.Delivery;

/// <summary>
/// Runs activities outside any grain lock. Unlike grain calls they may take minutes, so each runs
/// on its own while the loop keeps claiming, and its lease is renewed while it runs; a silo that
/// dies stops renewing and another silo runs the activity again.
/// </summary>
public sealed partial class ActivityPump(
    NpgsqlDataSource dataSource,
    ActivityRegistry registry,
    IServiceProvider services,
    IGrainFactory grains,
    SiloIdentity silo,
    DeliverySignals signals,
    TimeProvider time,
    IOptions<DeliveryOptions> options,
    ILogger<ActivityPump> logger) : DeliveryLoop(dataSource, "activities", signals.Activities, time, options.Value, logger)
{
    private readonly SemaphoreSlim _slots = new(options.Value.MaxConcurrentActivities);
    private readonly List<Task> _running = [];

    private sealed record Claimed(long Id, string Kind, string Payload, GrainId Grain, int Attempts, string? TraceParent);

    public override async Task<int> RunOnceAsync(CancellationToken cancellationToken)
    {
        var free = _slots.CurrentCount;
        if (free == 0)
        {
            // Every slot is busy: wait for one to free up rather than claim work we cannot start.
            await _slots.WaitAsync(cancellationToken);
            _slots.Release();
            return 0;
        }
        var claimed = await ClaimAsync(free, cancellationToken);
        foreach (var activity in claimed)
        {
            await _slots.WaitAsync(cancellationToken);
            var task = Task.Run(() => RunAsync(activity, cancellationToken), CancellationToken.None);
            lock (_running)
                _running.Add(task);
            _ = task.ContinueWith(t =>
            {
                _slots.Release();
                lock (_running)
                    _running.Remove(t);
            }, TaskScheduler.Default);
        }
        return claimed.Count;
    }

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        await base.StopAsync(cancellationToken);
        Task[] running;
        lock (_running)
            running = [.. _running];
        await Task.WhenAll(running).WaitAsync(cancellationToken).ContinueWith(_ => { }, TaskScheduler.Default);
    }

    private async Task<List<Claimed>> ClaimAsync(int max, CancellationToken ct)
    {
        await using var command = DataSource.CreateCommand("""
            UPDATE activities a SET claimed_by = $1, available_at = $2 + $3
            WHERE a.id IN (
                SELECT id FROM activities WHERE available_at <= $2
                ORDER BY available_at LIMIT $4
                FOR UPDATE SKIP LOCKED)
            RETURNING a.id, a.kind, a.payload::text, a.grain_type, a.grain_key, a.attempts, a.trace_parent
            """);
        foreach (var value in new object[] { silo.Id, Time.GetUtcNow(), Options.LeaseDuration, max })
            command.Parameters.Add(new NpgsqlParameter { Value = value });
        var claimed = new List<Claimed>();
        await using var reader = await command.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct))
        {
            claimed.Add(new Claimed(reader.GetInt64(0), reader.GetString(1), reader.GetString(2),
                new GrainId(reader.GetString(3), reader.GetString(4)), reader.GetInt32(5), reader.IsDBNull(6) ? null : reader.GetString(6)));
        }
        return claimed;
    }

    private async Task RunAsync(Claimed activity, CancellationToken stopping)
    {
        System.Diagnostics.ActivityContext.TryParse(activity.TraceParent, null, out var parent);
        using var span = GrainInstruments.Source.StartActivity($"activity {activity.Kind}", ActivityKind.Internal, parent);
        span?.SetTag("runtime.grain.id", activity.Grain.ToString());
        span?.SetTag("runtime.activity.id", activity.Id);
        var started = Stopwatch.GetTimestamp();
        var outcome = "completed";

        var registration = registry.Find(activity.Kind);
        if (registration is null)
        {
            await DeadLetterAsync(activity, $"No activity handler for kind '{activity.Kind}' in this build.");
            return;
        }

        using var lease = CancellationTokenSource.CreateLinkedTokenSource(stopping);
        var renewal = RenewWhileRunningAsync(activity, lease);
        try
        {
            var payload = JsonSerializer.Deserialize(activity.Payload, registration.PayloadType, GrainJson.Options)!;
            await using var scope = services.CreateAsyncScope();
            var handler = scope.ServiceProvider.GetRequiredService(registration.HandlerType);
            var run = new ActivityRun(activity.Id, activity.Grain, activity.Attempts + 1, grains);
            await registration.RunAsync(handler, payload, run, lease.Token);
            await FinishAsync("DELETE FROM activities WHERE id = $1 AND claimed_by = $2", activity.Id, silo.Id);
        }
        catch (OperationCanceledException) when (lease.IsCancellationRequested)
        {
            // Shutting down or the lease was lost: the activity stays claimable and runs again elsewhere.
            outcome = "abandoned";
            LogAbandoned(activity.Kind, activity.Id, activity.Grain);
        }
        catch (Exception e)
        {
            outcome = "failed";
            span?.SetStatus(ActivityStatusCode.Error, e.Message);
            var attempts = activity.Attempts + 1;
            if (e is DomainException or JsonException || attempts >= Options.MaxAttempts)
            {
                LogGaveUp(e, activity.Kind, activity.Id, activity.Grain, attempts);
                await DeadLetterAsync(activity, e.Message);
            }
            else
            {
                var retryAt = Time.GetUtcNow() + Options.RetryDelay(attempts);
                LogRetrying(e, activity.Kind, activity.Id, activity.Grain, attempts, retryAt);
                await FinishAsync("""
                    UPDATE activities SET attempts = attempts + 1, available_at = $3, claimed_by = NULL, last_error = $4
                    WHERE id = $1 AND claimed_by = $2
                    """, activity.Id, silo.Id, retryAt, e.Message);
            }
        }
        finally
        {
            await lease.CancelAsync();
            await renewal;
            var tags = new TagList { { "runtime.activity.kind", activity.Kind }, { "outcome", outcome } };
            GrainInstruments.ActivityRuns.Add(1, tags);
            GrainInstruments.ActivityDuration.Record(Stopwatch.GetElapsedTime(started).TotalMilliseconds, tags);
        }
    }

    private async Task RenewWhileRunningAsync(Claimed activity, CancellationTokenSource lease)
    {
        var every = Options.LeaseDuration / 3;
        try
        {
            while (true)
            {
                await Task.Delay(every, Time, lease.Token);
                await using var command = DataSource.CreateCommand(
                    "UPDATE activities SET available_at = $3 + $4 WHERE id = $1 AND claimed_by = $2");
                foreach (var value in new object[] { activity.Id, silo.Id, Time.GetUtcNow(), Options.LeaseDuration })
                    command.Parameters.Add(new NpgsqlParameter { Value = value });
                if (await command.ExecuteNonQueryAsync(lease.Token) == 0)
                {
                    LogLeaseLost(activity.Kind, activity.Id, activity.Grain);
                    await lease.CancelAsync();
                    return;
                }
            }
        }
        catch (OperationCanceledException)
        {
        }
        catch (Exception e)
        {
            // Renewal is best effort: if it keeps failing the lease runs out and the work runs again.
            LogRenewFailed(e, activity.Kind, activity.Id);
        }
    }

    private async Task FinishAsync(string sql, params object[] values)
    {
        await using var command = DataSource.CreateCommand(sql);
        foreach (var value in values)
            command.Parameters.Add(new NpgsqlParameter { Value = value });
        await command.ExecuteNonQueryAsync();
    }

    private Task DeadLetterAsync(Claimed activity, string error) => FinishAsync("""
        WITH a AS (DELETE FROM activities WHERE id = $1 AND claimed_by = $2 RETURNING *)
        INSERT INTO dead_letters (source, grain_type, grain_key, name, payload, attempts, error, created_at)
        SELECT 'activity', grain_type, grain_key, kind, payload, attempts + 1, $3, created_at FROM a
        """, activity.Id, silo.Id, error);

    [LoggerMessage(Level = LogLevel.Information, Message = "Activity {Kind} {ActivityId} for {GrainId} abandoned (shutdown or lease lost); it will run again")]
    private partial void LogAbandoned(string kind, long activityId, GrainId grainId);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Activity {Kind} {ActivityId} for {GrainId} failed (attempt {Attempt}); retrying at {RetryAt:O}")]
    private partial void LogRetrying(Exception exception, string kind, long activityId, GrainId grainId, int attempt, DateTimeOffset retryAt);

    [LoggerMessage(Level = LogLevel.Error, Message = "Activity {Kind} {ActivityId} for {GrainId} failed {Attempts} times; moved to dead_letters")]
    private partial void LogGaveUp(Exception exception, string kind, long activityId, GrainId grainId, int attempts);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Activity {Kind} {ActivityId} for {GrainId} lost its lease to another silo; cancelling it here")]
    private partial void LogLeaseLost(string kind, long activityId, GrainId grainId);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not renew the lease of activity {Kind} {ActivityId}")]
    private partial void LogRenewFailed(Exception exception, string kind, long activityId);
}
