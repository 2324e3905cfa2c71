using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Npgsql;
using Orleans;
using Orleans.Runtime;
using Runtime.Grains.Reminders;

namespace Runtime.Grains.Engine;

/// <summary>
/// Base of Runtime's grains on Orleans. Each call that is not [ReadOnly] behaves as one transaction:
/// the state it leaves is written, with the messages, assignments and reminders it made, before any
/// of them takes effect; a call that throws leaves the state as it found it and did nothing. Messages
/// are delivered after the call's turn by a timer that lets other calls in, so two grains that message
/// each other never wait on each other; a message is delivered at least once and applied once (its
/// receiver remembers the ids of the messages it took). Reminders are kept in the record: a timer
/// fires them while the grain is active, an Orleans reminder wakes it after a failover, and the
/// <see cref="OutboxSweeper"/> finds what a dead silo left behind sooner.
/// </summary>
public abstract partial class RuntimeGrain<TState> : Grain, IIncomingGrainCallFilter, Orleans.IRemindable, IRuntimeGrain where TState : class, new()
{
    internal const string BackstopReminder = "runtime-wake";
    private const int SeenKept = 200;
    private static readonly TimeSpan RetryDelay = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan BackstopPeriod = TimeSpan.FromMinutes(1);

    // A never-written grain's state, to tell a call that left it so (computed once per state type, not per call).
    private static readonly string NewStateJson = JsonSerializer.Serialize(new TState(), GrainJson.Options);

    private readonly IPersistentState<GrainRecord<TState>> _record;
    private readonly HashSet<Guid> _delivered = [];
    private readonly HashSet<Guid> _inFlight = [];

    // Messages in the record that is being written: not to be sent before the write has succeeded
    // (the timer may run while a call awaits its write).
    private readonly HashSet<Guid> _unwritten = [];
    private CallContext? _context;
    private IGrainTimer? _timer;
    private bool? _backstop;
    private bool _recordChanged;

    protected RuntimeGrain(IPersistentState<GrainRecord<TState>> record) => _record = record;

    /// <summary>The grain's state; a new instance until the grain is first written.</summary>
    protected TState State
    {
        get => _record.State.State;
        set => _record.State.State = value;
    }

    /// <summary>True when the grain had been written before this call.</summary>
    protected bool Exists => _record.RecordExists;

    /// <summary>This call's context: identity, clock, what it emits.</summary>
    protected CallContext Context => _context ??= NewContext();

    private ILogger Logger => ServiceProvider.GetRequiredService<ILoggerFactory>().CreateLogger(GetType());

    /// <summary>The clock of Runtime's grains: a keyed <see cref="TimeProvider"/> (<see cref="GrainKeys.Clock"/>) when a test sets one, else the host's.</summary>
    private TimeProvider TimeProvider => ServiceProvider.GetKeyedService<TimeProvider>(GrainKeys.Clock) ?? ServiceProvider.GetService<TimeProvider>() ?? TimeProvider.System;

    public override Task OnActivateAsync(CancellationToken cancellationToken)
    {
        // A silo that died may have left messages undelivered or reminders due.
        PlanTimer();
        return Task.CompletedTask;
    }

    async Task IIncomingGrainCallFilter.Invoke(IIncomingGrainCallContext call)
    {
        if (IsTimerTick(call))
        {
            // The delivery timer interleaves with calls: it must neither take their context nor write
            // the state they are changing (it changes none itself).
            await call.Invoke();
            return;
        }
        _context = NewContext();
        if (IsReadOnly(call))
        {
            await call.Invoke();
            return;
        }
        var messageId = RequestContext.Get(GrainKeys.MessageId) as Guid?;
        // Not passed on to the calls this one makes.
        RequestContext.Remove(GrainKeys.MessageId);
        if (messageId is { } seen && _record.State.Seen.Contains(seen))
        {
            // Taken before: answered without running again (message methods return nothing).
            call.Result = null;
            return;
        }

        var before = JsonSerializer.Serialize(State, GrainJson.Options);
        var existed = Exists;
        var reminders = new Dictionary<string, StoredReminder>(_record.State.Reminders, StringComparer.Ordinal);
        _recordChanged = false;
        try
        {
            await call.Invoke();
        }
        catch
        {
            Restore(before, reminders);
            throw;
        }
        var context = _context;
        if (context.Deleted)
        {
            await DeleteAsync(context);
            return;
        }
        foreach (var (name, schedule) in context.ReminderChanges)
        {
            if (schedule is null)
                _record.State.Reminders.Remove(name);
            else
                _record.State.Reminders[name] = new StoredReminder(schedule.ToJson(), schedule.FirstDue(context.Now));
        }
        var after = JsonSerializer.Serialize(State, GrainJson.Options);
        var emitted = context.Outbox.Count > 0 || context.ReminderChanges.Count > 0 || context.Rows.Count > 0;
        if (messageId is null && !emitted && !_recordChanged && after == before)
            return;
        // A late message to a grain that was never written (or was deleted) must not bring it back.
        if (!existed && !emitted && after == NewStateJson)
        {
            Restore(before, reminders);
            return;
        }

        var record = _record.State;
        var forgotten = record.Outbox.Where(m => _delivered.Contains(m.Id)).ToList();
        record.Outbox.RemoveAll(forgotten.Contains);
        record.Outbox.AddRange(context.Outbox);
        _unwritten.UnionWith(context.Outbox.Select(m => m.Id));
        if (messageId is { } taken)
        {
            record.Seen.Add(taken);
            if (record.Seen.Count > SeenKept)
                record.Seen.RemoveRange(0, record.Seen.Count - SeenKept);
        }
        record.Rows = context.Rows.Count > 0 ? context.Rows : null;
        try
        {
            // Held until the state that emitted them is written; released by the outbox after.
            await HoldAssignmentsAsync(context);
            await _record.WriteStateAsync();
        }
        catch (Exception e)
        {
            record.Rows = null;
            _unwritten.ExceptWith(context.Outbox.Select(m => m.Id));
            record.Outbox.RemoveAll(context.Outbox.Contains);
            record.Outbox.AddRange(forgotten);
            if (messageId is { } id)
                record.Seen.Remove(id);
            Restore(before, reminders);
            throw UniqueViolation(e) ?? e;
        }
        record.Rows = null;
        _unwritten.ExceptWith(context.Outbox.Select(m => m.Id));
        _delivered.ExceptWith(forgotten.Select(m => m.Id));
        await PlanBackstopAsync();
        PlanTimer();
    }

    // Orleans' reminder: the backstop that wakes the grain after a failover.
    Task Orleans.IRemindable.ReceiveReminder(string reminderName, TickStatus status) =>
        reminderName == BackstopReminder ? CatchUpAsync() : Task.CompletedTask;

    Task IRuntimeGrain.Wake() => CatchUpAsync();

    // Runs inside a call (Wake or the backstop), so the filter writes what it changes.
    private async Task CatchUpAsync()
    {
        var record = _record.State;
        if (record.Outbox.RemoveAll(m => _delivered.Contains(m.Id)) > 0)
            _recordChanged = true;
        // Forgotten now; should the write fail, a second delivery of one of them is skipped by its receiver.
        _delivered.Clear();
        var now = TimeProvider.GetUtcNow();
        var replay = ServiceProvider.GetService<Microsoft.Extensions.Options.IOptions<ReminderOptions>>()?.Value ?? new ReminderOptions();
        foreach (var (name, stored) in record.Reminders.Where(r => r.Value.DueAt <= now).OrderBy(r => r.Value.DueAt).ToList())
        {
            var schedule = ReminderSchedule.FromJson(stored.Schedule);
            var ticks = DueTicks(schedule, stored.DueAt, now, replay);
            for (var i = 0; i < ticks.Count; i++)
            {
                var next = i + 1 < ticks.Count ? ticks[i + 1] : schedule.NextDue(ticks[i], now);
                if (next is { } due)
                    record.Reminders[name] = stored with { DueAt = due };
                else
                    record.Reminders.Remove(name);
                _recordChanged = true;
                if (this is Reminders.IRemindable remindable)
                    await remindable.ReceiveReminder(name, new ReminderTick(name, ticks[i], now, next));
            }
        }
        // Whatever else it holds goes out now, even when this wake changed nothing: a sweep found it overdue,
        // so its timer may be held up. The pass lets other calls in, like the timer's; what is already on
        // its way is not sent twice.
        PlanTimer();
        if (record.Outbox.Any(m => m.DueAt <= now && !_delivered.Contains(m.Id) && !_inFlight.Contains(m.Id) && !_unwritten.Contains(m.Id)))
            _ = OnTimerAsync(CancellationToken.None);
    }

    // The ticks of a reminder first due at `first` that fire now: each one missed within the replay
    // window, and before them one for all that are older, due at the first of those.
    private static List<DateTimeOffset> DueTicks(ReminderSchedule schedule, DateTimeOffset first, DateTimeOffset now, ReminderOptions replay)
    {
        var ticks = new List<DateTimeOffset> { first };
        var windowStart = now - replay.ReplayWindow;
        var cursor = first < windowStart ? schedule.NextDue(first, windowStart) : schedule.NextDue(first, first);
        while (cursor is { } due && due <= now)
        {
            ticks.Add(due);
            cursor = schedule.NextDue(due, due);
        }
        // Beyond the cap, the oldest collapse into the first.
        if (ticks.Count > replay.MaxReplayed)
            ticks.RemoveRange(1, ticks.Count - replay.MaxReplayed);
        return ticks;
    }

    private async Task DeleteAsync(CallContext context)
    {
        var pending = _record.State.Outbox.Where(m => !_delivered.Contains(m.Id)).Concat(context.Outbox).ToList();
        await HoldAssignmentsAsync(context);
        if (_record.RecordExists && context.Rows.Count > 0)
        {
            // The delete statement carries no document: the rows go with a last write of the state first.
            _record.State.Rows = context.Rows;
            try
            {
                await _record.WriteStateAsync();
            }
            finally
            {
                _record.State.Rows = null;
            }
        }
        if (_record.RecordExists)
            await _record.ClearStateAsync();
        _record.State = new GrainRecord<TState>();
        _delivered.Clear();
        _timer?.Change(Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
        if (_backstop != false && await this.GetReminder(BackstopReminder) is { } reminder)
            await this.UnregisterReminder(reminder);
        // Nothing is left to hold them: what a deleted grain still had to send goes now, once, without waiting.
        foreach (var message in pending)
            _ = TryDeliverAsync(message);
        DeactivateOnIdle();
    }

    private async Task HoldAssignmentsAsync(CallContext context)
    {
        if (context.Assignments.Count == 0)
            return;
        var dataSource = ServiceProvider.GetRequiredService<NpgsqlDataSource>();
        await using var batch = dataSource.CreateBatch();
        foreach (var (id, request) in context.Assignments)
        {
            var insert = new NpgsqlBatchCommand("""
                INSERT INTO assignments (id, environment_id, workload_id, kind, spec, grain_type, grain_key, status, available_at, created_at)
                VALUES ($1, $2, $3, $4, $5::jsonb, $6, $7, 'held', $8, $8) ON CONFLICT (id) DO NOTHING
                """);
            foreach (var value in new object[] { id, request.EnvironmentId, request.WorkloadId, request.Kind, request.Spec.GetRawText(), context.Id.Type, context.Id.Key, context.Now })
                insert.Parameters.Add(new NpgsqlParameter { Value = value });
            batch.BatchCommands.Add(insert);
        }
        await batch.ExecuteNonQueryAsync();
    }

    // One timer, for whatever comes first: a message to deliver or a reminder to fire. It lets other
    // calls in while it delivers; the reminders fire in a Wake, an ordinary call.
    private void PlanTimer(TimeSpan? atLeast = null)
    {
        var record = _record.State;
        var times = record.Outbox.Where(m => !_delivered.Contains(m.Id) && !_inFlight.Contains(m.Id) && !_unwritten.Contains(m.Id)).Select(m => m.DueAt)
            .Concat(record.Reminders.Values.Select(r => r.DueAt)).ToList();
        if (_delivered.Count > 0)
            times.Add(DateTimeOffset.MinValue);
        if (times.Count == 0)
        {
            _timer?.Change(Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
            return;
        }
        var wait = times.Min() - TimeProvider.GetUtcNow();
        if (atLeast is { } floor && wait < floor)
            wait = floor;
        if (wait < TimeSpan.Zero)
            wait = TimeSpan.Zero;
        // One timer for the activation, moved rather than replaced: a call may plan it while its callback runs.
        if (_timer is null)
            _timer = this.RegisterGrainTimer(OnTimerAsync, new GrainTimerCreationOptions(wait, Timeout.InfiniteTimeSpan) { Interleave = true });
        else
            _timer.Change(wait, Timeout.InfiniteTimeSpan);
    }

    private async Task OnTimerAsync(CancellationToken cancellationToken)
    {
        var now = TimeProvider.GetUtcNow();
        var record = _record.State;
        // All at once, so that one slow receiver (an activity, a grain whose silo just died) holds up no other
        // message; a timer planned again while these are on their way must not send them twice.
        var due = record.Outbox.Where(m => m.DueAt <= now && !_delivered.Contains(m.Id) && !_unwritten.Contains(m.Id) && _inFlight.Add(m.Id)).ToList();
        var outcomes = await Task.WhenAll(due.Select(async message =>
        {
            try
            {
                var delivered = await TryDeliverAsync(message);
                if (delivered)
                    _delivered.Add(message.Id);
                return delivered;
            }
            finally
            {
                _inFlight.Remove(message.Id);
            }
        }));
        var failed = outcomes.Contains(false);
        try
        {
            if (_delivered.Count > 0 || record.Reminders.Values.Any(r => r.DueAt <= now))
                await GrainFactory.GetGrain<IRuntimeGrain>(this.GetGrainId()).Wake();
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            // The next tick tries again; until then the delivered messages are only remembered here.
            LogWakeFailed(Logger, e, this.GetGrainId().ToString());
            failed = true;
        }
        PlanTimer(failed ? RetryDelay : null);
    }

    private async Task PlanBackstopAsync()
    {
        var needed = _record.State.Reminders.Count > 0 || _record.State.Outbox.Any(m => !_delivered.Contains(m.Id));
        _backstop ??= await this.GetReminder(BackstopReminder) is not null;
        if (needed == _backstop)
            return;
        if (needed)
            await this.RegisterOrUpdateReminder(BackstopReminder, BackstopPeriod, BackstopPeriod);
        else if (await this.GetReminder(BackstopReminder) is { } reminder)
            await this.UnregisterReminder(reminder);
        _backstop = needed;
    }

    private async Task<bool> TryDeliverAsync(OutboxMessage message)
    {
        try
        {
            RequestContext.Set(GrainKeys.MessageId, message.Id);
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
            RequestContext.Remove(GrainKeys.MessageId);
        }
    }

    private void Restore(string json, Dictionary<string, StoredReminder> reminders)
    {
        State = JsonSerializer.Deserialize<TState>(json, GrainJson.Options)!;
        _record.State.Reminders = reminders;
    }

    private CallContext NewContext() => new(new GrainId(this.GetGrainId().Type.ToString()!, KeyOf(this.GetGrainId())),
        TimeProvider.GetUtcNow(), ServiceProvider.GetRequiredService<NpgsqlDataSource>());

    private static string KeyOf(Orleans.Runtime.GrainId id) =>
        id.TryGetGuidKey(out var guid, out _) ? guid.ToString("D") : id.Key.ToString()!;

    // Orleans delivers grain timer ticks through the call filters, as calls of an internal interface.
    private static bool IsTimerTick(IIncomingGrainCallContext call) =>
        call.Request.GetInterfaceType().FullName == "Orleans.Runtime.IGrainTimerInvoker";

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

    [LoggerMessage(Level = LogLevel.Warning, Message = "{GrainId} could not record what it delivered; it tries again")]
    private static partial void LogWakeFailed(ILogger logger, Exception exception, string grainId);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Delivering {Method} to {Target}/{Key} failed; it is tried again")]
    private static partial void LogDeliveryFailed(ILogger logger, Exception exception, string target, string key, string method);
}
