using System.Reflection;
using System.Text.Json;
using System.Text.Json.Nodes;
using Npgsql;

namespace Runtime.Grains.Engine;

/// <summary>
/// One grain call's view of the world on Orleans: identity, clock, and what it emits. Messages it
/// sends are written with its state and delivered after; if the call fails, it sent nothing.
/// </summary>
public sealed class CallContext
{
    private readonly NpgsqlDataSource _dataSource;

    internal CallContext(GrainId id, DateTimeOffset now, NpgsqlDataSource dataSource)
    {
        Id = id;
        Now = now;
        _dataSource = dataSource;
    }

    /// <summary>The grain this call runs on.</summary>
    public GrainId Id { get; }

    /// <summary>The time this call started.</summary>
    public DateTimeOffset Now { get; }

    internal List<OutboxMessage> Outbox { get; } = [];

    internal List<(Guid Id, Assignments.AssignmentRequest Request)> Assignments { get; } = [];

    /// <summary>Reminders registered (a schedule) or removed (null) by this call, in order.</summary>
    internal List<(string Name, Reminders.ReminderSchedule? Schedule)> ReminderChanges { get; } = [];

    /// <summary>Rows of the grain's own tables, written in order with its state.</summary>
    internal List<RowWrite> Rows { get; } = [];

    internal bool Deleted { get; private set; }

    /// <summary>Registers (or replaces) this grain's reminder <paramref name="name"/>; it fires as a call to <see cref="Reminders.IRemindable.ReceiveReminder"/>.</summary>
    public void RegisterReminder(string name, Reminders.ReminderSchedule schedule) => ReminderChanges.Add((name, schedule));

    /// <summary>Removes this grain's reminder <paramref name="name"/>, if it has one.</summary>
    public void UnregisterReminder(string name) => ReminderChanges.Add((name, null));

    /// <summary>Queues slow work, run by an <see cref="IActivityWorker"/> once this call's state is written; its handler reports back by calling this grain.</summary>
    public void StartActivity<TPayload>(TPayload payload, TimeSpan? delay = null) where TPayload : notnull
    {
        var kind = typeof(TPayload).Name;
        var args = new JsonArray(kind, JsonSerializer.Serialize(payload, GrainJson.Options), Id.Type, Id.Key);
        Outbox.Add(new OutboxMessage(Guid.CreateVersion7(Now), GrainInterfaces.AliasOf(typeof(IActivityWorker)), Guid.Empty.ToString("D"),
            nameof(IActivityWorker.Run), args.ToJsonString(GrainJson.Options), Now + (delay ?? TimeSpan.Zero)));
    }

    /// <summary>
    /// Queues work for an agent of an environment; returns the assignment id. The assignment is stored
    /// held, with this call, and agents may claim it once the call's state is written.
    /// </summary>
    public Guid Assign(Assignments.AssignmentRequest request)
    {
        var id = Guid.CreateVersion7(Now);
        Assignments.Add((id, request));
        Outbox.Add(new OutboxMessage(Guid.CreateVersion7(Now), GrainInterfaces.AliasOf(typeof(IAssignmentRelease)), Guid.Empty.ToString("D"),
            nameof(IAssignmentRelease.Release), new JsonArray(JsonSerializer.SerializeToNode(id)).ToJsonString(GrainJson.Options), Now));
        return id;
    }

    /// <summary>A reference whose method calls become one-way messages, delivered once the call's state is written.</summary>
    public TGrain Send<TGrain>(Guid key) where TGrain : Orleans.IGrainWithGuidKey => MessageRecorder.Create<TGrain>(this, key.ToString("D"), Now);

    /// <inheritdoc cref="Send{TGrain}(Guid)"/>
    public TGrain Send<TGrain>(string key) where TGrain : Orleans.IGrainWithStringKey => MessageRecorder.Create<TGrain>(this, key, Now);

    /// <summary>Like <see cref="Send{TGrain}(Guid)"/>, delivered no earlier than <paramref name="dueAt"/>.</summary>
    public TGrain SendAt<TGrain>(Guid key, DateTimeOffset dueAt) where TGrain : Orleans.IGrainWithGuidKey => MessageRecorder.Create<TGrain>(this, key.ToString("D"), dueAt);

    /// <inheritdoc cref="SendAt{TGrain}(Guid, DateTimeOffset)"/>
    public TGrain SendAt<TGrain>(string key, DateTimeOffset dueAt) where TGrain : Orleans.IGrainWithStringKey => MessageRecorder.Create<TGrain>(this, key, dueAt);

    /// <summary>Deletes the grain's row when the call ends.</summary>
    public void DeleteState() => Deleted = true;

    /// <summary>
    /// Inserts a row into a table this grain's state owns (such as a job's <c>runs</c>), in the same
    /// statement as the call's state: a call that fails, or a silo that dies before the write, leaves
    /// no row. <paramref name="values"/> maps column names to values; columns left out get NULL.
    /// </summary>
    public void InsertRow(string table, IEnumerable<KeyValuePair<string, object?>> values) => Rows.Add(new RowWrite(table, "insert", Columns(values)));

    /// <summary>Updates the columns <paramref name="values"/> names of the row <paramref name="id"/>, with the call's state (as <see cref="InsertRow"/>).</summary>
    public void UpdateRow(string table, Guid id, IEnumerable<KeyValuePair<string, object?>> values)
    {
        var columns = Columns(values);
        columns["id"] = JsonValue.Create(id);
        Rows.Add(new RowWrite(table, "update", columns));
    }

    /// <summary>
    /// A command on the runtime database, for lookups the grain's state does not hold. It runs at once,
    /// on its own, and what it changes stays when the call fails afterwards: only what must be decided
    /// at once (withdrawing an unclaimed assignment) writes through it. A grain's own rows go with its
    /// state (<see cref="InsertRow"/>), its assignments with <see cref="Assign"/>.
    /// </summary>
    public NpgsqlCommand CreateCommand(string sql) => _dataSource.CreateCommand(sql);

    private static JsonObject Columns(IEnumerable<KeyValuePair<string, object?>> values)
    {
        var columns = new JsonObject();
        foreach (var (column, value) in values)
            columns[column] = value is null ? null : JsonSerializer.SerializeToNode(value, value.GetType(), GrainJson.Options);
        return columns;
    }

    internal void Record(Type target, string key, MethodInfo method, object?[] args, DateTimeOffset dueAt)
    {
        var parameters = method.GetParameters();
        var json = new JsonArray();
        for (var i = 0; i < parameters.Length; i++)
            json.Add(JsonSerializer.SerializeToNode(args[i], parameters[i].ParameterType, GrainJson.Options));
        Outbox.Add(new OutboxMessage(Guid.CreateVersion7(Now), GrainInterfaces.AliasOf(target), key, method.Name, json.ToJsonString(GrainJson.Options), dueAt));
    }
}

/// <summary>The object behind <see cref="CallContext.Send{TGrain}(Guid)"/>: each call on it is recorded, not made.</summary>
public class MessageRecorder : DispatchProxy
{
    private CallContext _context = null!;
    private string _key = "";
    private DateTimeOffset _dueAt;

    internal static TGrain Create<TGrain>(CallContext context, string key, DateTimeOffset dueAt)
    {
        var proxy = Create<TGrain, MessageRecorder>();
        var recorder = (MessageRecorder)(object)proxy!;
        recorder._context = context;
        recorder._key = key;
        recorder._dueAt = dueAt;
        return proxy;
    }

    protected override object? Invoke(MethodInfo? targetMethod, object?[]? args)
    {
        var method = targetMethod!;
        if (method.ReturnType != typeof(Task))
            throw new InvalidOperationException($"{method.DeclaringType?.Name}.{method.Name} returns a value; only methods returning Task can be sent as one-way messages.");
        _context.Record(method.DeclaringType!, _key, method, args ?? [], _dueAt);
        return Task.CompletedTask;
    }
}
