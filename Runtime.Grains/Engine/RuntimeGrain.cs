using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Npgsql;
using Orleans;
using Orleans.Runtime;

namespace Runtime.Grains.Engine;

/// <summary>
/// Base of Runtime's grains on Orleans. Each call that is not [ReadOnly] behaves as one transaction:
/// the state it leaves is written, with the messages it sent, before any of them is delivered; a call
/// that throws leaves the state as it found it and sends nothing. Messages are delivered after the
/// call's turn, by a timer that lets other calls in, so two grains that message each other never wait
/// on each other; a message is delivered at least once and applied once, since its receiver remembers
/// the ids of the messages it took. What a dead silo left undelivered, the <see cref="OutboxSweeper"/> finds.
/// </summary>
public abstract partial class RuntimeGrain<TState> : Grain, IIncomingGrainCallFilter, IRemindable, IOutboxGrain where TState : class, new()
{
    internal const string MessageIdKey = "runtime.message";
    private const int SeenKept = 200;
    private static readonly TimeSpan RetryDelay = TimeSpan.FromSeconds(1);

    private readonly IPersistentState<GrainRecord<TState>> _record;
    private readonly HashSet<Guid> _delivered = [];
    private CallContext? _context;
    private IGrainTimer? _deliveryTimer;

    protected RuntimeGrain(IPersistentState<GrainRecord<TState>> record) => _record = record;

    /// <summary>The grain's state; a new instance until the grain is first written.</summary>
    protected TState State
    {
        get => _record.State.State;
        set => _record.State.State = value;
    }

    /// <summary>True when the grain had been written before this call.</summary>
    protected bool Exists => _record.RecordExists;

    /// <summary>This call's context: identity, clock, messages.</summary>
    protected CallContext Context => _context ??= NewContext();

    private ILogger Logger => ServiceProvider.GetRequiredService<ILoggerFactory>().CreateLogger(GetType());

    public override Task OnActivateAsync(CancellationToken cancellationToken)
    {
        // A silo that died after writing may have left messages undelivered.
        ScheduleDelivery();
        return Task.CompletedTask;
    }

    async Task IIncomingGrainCallFilter.Invoke(IIncomingGrainCallContext call)
    {
        _context = NewContext();
        if (IsReadOnly(call))
        {
            await call.Invoke();
            return;
        }
        var messageId = RequestContext.Get(MessageIdKey) as Guid?;
        // Not passed on to the calls this one makes.
        RequestContext.Remove(MessageIdKey);
        if (messageId is { } seen && _record.State.Seen.Contains(seen))
        {
            // Taken before: answered without running again (message methods return nothing).
            call.Result = null;
            return;
        }

        var before = JsonSerializer.Serialize(State, GrainJson.Options);
        var existed = Exists;
        try
        {
            await call.Invoke();
        }
        catch
        {
            Restore(before);
            throw;
        }
        var context = _context;
        if (context.Deleted)
        {
            await DeleteAsync(context);
            return;
        }
        var after = JsonSerializer.Serialize(State, GrainJson.Options);
        if (messageId is null && context.Outbox.Count == 0 && after == before)
            return;
        // A late message to a grain that was never written (or was deleted) must not bring it back.
        if (!existed && context.Outbox.Count == 0 && after == JsonSerializer.Serialize(new TState(), GrainJson.Options))
            return;

        var record = _record.State;
        var forgotten = record.Outbox.Where(m => _delivered.Contains(m.Id)).ToList();
        record.Outbox.RemoveAll(forgotten.Contains);
        record.Outbox.AddRange(context.Outbox);
        if (messageId is { } taken)
        {
            record.Seen.Add(taken);
            if (record.Seen.Count > SeenKept)
                record.Seen.RemoveRange(0, record.Seen.Count - SeenKept);
        }
        try
        {
            await _record.WriteStateAsync();
        }
        catch (Exception e)
        {
            record.Outbox.RemoveAll(context.Outbox.Contains);
            record.Outbox.AddRange(forgotten);
            if (messageId is { } id)
                record.Seen.Remove(id);
            Restore(before);
            throw UniqueViolation(e) ?? e;
        }
        _delivered.ExceptWith(forgotten.Select(m => m.Id));
        if (context.Outbox.Count > 0)
            ScheduleDelivery();
    }

    Task IRemindable.ReceiveReminder(string reminderName, TickStatus status) => OnReminder(reminderName, status);

    /// <summary>A reminder of the grain's fired; like any call, what it changes is written when it returns.</summary>
    protected virtual Task OnReminder(string name, TickStatus status) => Task.CompletedTask;

    async Task IOutboxGrain.Flush()
    {
        var record = _record.State;
        if (record.Outbox.RemoveAll(m => _delivered.Contains(m.Id)) > 0)
        {
            await _record.WriteStateAsync();
            _delivered.Clear();
        }
        ScheduleDelivery();
    }

    private async Task DeleteAsync(CallContext context)
    {
        var pending = _record.State.Outbox.Where(m => !_delivered.Contains(m.Id)).Concat(context.Outbox).ToList();
        if (_record.RecordExists)
            await _record.ClearStateAsync();
        _record.State = new GrainRecord<TState>();
        _delivered.Clear();
        // Nothing is left to hold them: what a deleted grain still had to send goes now, once, without waiting.
        foreach (var message in pending)
            _ = TryDeliverAsync(message);
        DeactivateOnIdle();
    }

    private void ScheduleDelivery()
    {
        var pending = _record.State.Outbox.Where(m => !_delivered.Contains(m.Id)).ToList();
        _deliveryTimer?.Dispose();
        _deliveryTimer = null;
        if (pending.Count == 0)
            return;
        var wait = pending.Min(m => m.DueAt) - TimeProvider.GetUtcNow();
        _deliveryTimer = this.RegisterGrainTimer(DeliverDueAsync,
            new GrainTimerCreationOptions(wait > TimeSpan.Zero ? wait : TimeSpan.Zero, Timeout.InfiniteTimeSpan) { Interleave = true });
    }

    // Interleaves with the grain's calls: a receiver that messages back is served meanwhile. The state is
    // not touched here; what was delivered is forgotten by a Flush, which is an ordinary call.
    private async Task DeliverDueAsync(CancellationToken cancellationToken)
    {
        var now = TimeProvider.GetUtcNow();
        var due = _record.State.Outbox.Where(m => m.DueAt <= now && !_delivered.Contains(m.Id)).ToList();
        var failed = false;
        foreach (var message in due)
        {
            if (await TryDeliverAsync(message))
                _delivered.Add(message.Id);
            else
                failed = true;
        }
        if (_delivered.Count > 0)
            await GrainFactory.GetGrain<IOutboxGrain>(this.GetGrainId()).Flush();
        else
            ScheduleDelivery();
        if (failed)
        {
            _deliveryTimer?.Dispose();
            _deliveryTimer = this.RegisterGrainTimer(DeliverDueAsync, new GrainTimerCreationOptions(RetryDelay, Timeout.InfiniteTimeSpan) { Interleave = true });
        }
    }

    private async Task<bool> TryDeliverAsync(OutboxMessage message)
    {
        try
        {
            RequestContext.Set(MessageIdKey, message.Id);
            await GrainInterfaces.DeliverAsync(GrainFactory, message);
            return true;
        }
        catch (DomainException e)
        {
            // The receiver refused it: delivering it again would be refused again.
            LogRefused(Logger, message.Target, message.Key, message.Method, e.Message);
            return true;
        }
        catch (Exception e)
        {
            LogDeliveryFailed(Logger, e, message.Target, message.Key, message.Method);
            return false;
        }
        finally
        {
            RequestContext.Remove(MessageIdKey);
        }
    }

    private void Restore(string json) => State = JsonSerializer.Deserialize<TState>(json, GrainJson.Options)!;

    private CallContext NewContext() => new(new GrainId(this.GetGrainId().Type.ToString()!, KeyOf(this.GetGrainId())),
        TimeProvider.GetUtcNow(), ServiceProvider.GetRequiredService<NpgsqlDataSource>());

    private TimeProvider TimeProvider => ServiceProvider.GetService<TimeProvider>() ?? TimeProvider.System;

    private static string KeyOf(Orleans.Runtime.GrainId id) =>
        id.TryGetGuidKey(out var guid, out _) ? guid.ToString("D") : id.Key.ToString()!;

    private static bool IsReadOnly(IIncomingGrainCallContext call) =>
        call.InterfaceMethod?.GetCustomAttributes(typeof(Orleans.Concurrency.ReadOnlyAttribute), inherit: true).Length > 0;

    // Unique indexes on generated columns are named ux_<table>_<column>.
    private static ConflictException? UniqueViolation(Exception e)
    {
        for (var inner = e; inner is not null; inner = inner.InnerException)
        {
            if (inner is PostgresException { SqlState: PostgresErrorCodes.UniqueViolation, ConstraintName: { } name, TableName: { } table }
                && name.StartsWith($"ux_{table}_", StringComparison.Ordinal))
            {
                var column = name[(4 + table.Length)..];
                return new ConflictException($"{column} already taken", $"Another one already uses this {column}; choose a different one.");
            }
        }
        return null;
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "{Target}/{Key} refused the message {Method}: {Reason}")]
    private static partial void LogRefused(ILogger logger, string target, string key, string method, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Delivering {Method} to {Target}/{Key} failed; it is tried again")]
    private static partial void LogDeliveryFailed(ILogger logger, Exception exception, string target, string key, string method);
}
