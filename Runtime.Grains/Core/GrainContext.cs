using System.Diagnostics;
using System.Reflection;
using Npgsql;
using Runtime.Grains.Activities;
using Runtime.Grains.Assignments;
using Runtime.Grains.Reminders;

namespace Runtime.Grains;

/// <summary>
/// One grain call's view of the world. Everything a call emits (messages, reminder changes,
/// activities, assignments) goes to its outbox and is written in the call's transaction: if the
/// call fails, none of it happened.
/// </summary>
public sealed class GrainContext
{
    private readonly GrainRegistry _registry;
    private readonly ActivityRegistry _activities;
    private readonly NpgsqlConnection _connection;
    private readonly NpgsqlTransaction? _transaction;

    internal GrainContext(
        GrainId id, long version, DateTimeOffset now, bool readOnly,
        GrainRegistry registry, ActivityRegistry activities,
        NpgsqlConnection connection, NpgsqlTransaction? transaction)
    {
        Id = id;
        Version = version;
        Now = now;
        ReadOnly = readOnly;
        _registry = registry;
        _activities = activities;
        _connection = connection;
        _transaction = transaction;
    }

    /// <summary>The grain this call runs on.</summary>
    public GrainId Id { get; }

    /// <summary>The grain's version before this call; 0 when it had never been written.</summary>
    public long Version { get; }

    /// <summary>The time this call started, from the runtime's clock.</summary>
    public DateTimeOffset Now { get; }

    internal bool ReadOnly { get; }

    internal bool Deleted { get; private set; }

    internal Outbox Outbox { get; } = new();

    /// <summary>A reference whose method calls become durable one-way messages, delivered after commit.</summary>
    public TGrain Send<TGrain>(Guid key) where TGrain : IGrainWithGuidKey => Recorder<TGrain>(key.ToString("D"), Now);

    /// <inheritdoc cref="Send{TGrain}(Guid)"/>
    public TGrain Send<TGrain>(string key) where TGrain : IGrainWithStringKey => Recorder<TGrain>(key, Now);

    /// <summary>Like <see cref="Send{TGrain}(Guid)"/>, delivered no earlier than <paramref name="dueAt"/>.</summary>
    public TGrain SendAt<TGrain>(Guid key, DateTimeOffset dueAt) where TGrain : IGrainWithGuidKey =>
        Recorder<TGrain>(key.ToString("D"), dueAt);

    /// <inheritdoc cref="SendAt{TGrain}(Guid, DateTimeOffset)"/>
    public TGrain SendAt<TGrain>(string key, DateTimeOffset dueAt) where TGrain : IGrainWithStringKey =>
        Recorder<TGrain>(key, dueAt);

    /// <summary>Registers (or replaces) this grain's reminder <paramref name="name"/>.</summary>
    public void RegisterReminder(string name, ReminderSchedule schedule)
    {
        ThrowIfReadOnly();
        ReminderName.Validate(name);
        Outbox.Reminders.Add(new ReminderChange(name, schedule, schedule.FirstDue(Now)));
    }

    /// <summary>Removes this grain's reminder <paramref name="name"/>, if it has one.</summary>
    public void UnregisterReminder(string name)
    {
        ThrowIfReadOnly();
        Outbox.Reminders.Add(new ReminderChange(name, null, null));
    }

    /// <summary>Queues slow work for a silo, to run outside the lock after commit; its handler reports back by calling this grain.</summary>
    public void StartActivity<TPayload>(TPayload payload, TimeSpan? delay = null) where TPayload : notnull
    {
        ThrowIfReadOnly();
        var kind = _activities.KindOf(typeof(TPayload));
        Outbox.Activities.Add(new OutboxActivity(kind, Serialize(payload, typeof(TPayload)), Now + (delay ?? TimeSpan.Zero), Activity.Current?.Id));
    }

    /// <summary>Queues work for an agent of an environment; returns the assignment id.</summary>
    public Guid Assign(AssignmentRequest request)
    {
        ThrowIfReadOnly();
        var id = Guid.CreateVersion7(Now);
        Outbox.Assignments.Add(new OutboxAssignment(id, request, Now));
        return id;
    }

    /// <summary>Deletes the grain's row, its reminders and its pending messages when the call commits.</summary>
    public void DeleteState()
    {
        ThrowIfReadOnly();
        Deleted = true;
    }

    /// <summary>A command in this call's transaction, for the grain's own tables.</summary>
    public NpgsqlCommand CreateCommand(string sql) => new(sql, _connection, _transaction);

    private TGrain Recorder<TGrain>(string key, DateTimeOffset dueAt)
    {
        ThrowIfReadOnly();
        var registration = _registry.Get(typeof(TGrain));
        return MessageRecorder.Create<TGrain>(this, registration, new GrainId(registration.TypeName, key), dueAt);
    }

    internal void AddMessage(GrainId target, MethodInfo method, object?[] args, DateTimeOffset dueAt)
    {
        var parameters = method.GetParameters();
        var json = new System.Text.Json.Nodes.JsonArray();
        for (var i = 0; i < parameters.Length; i++)
            json.Add(System.Text.Json.JsonSerializer.SerializeToNode(args[i], parameters[i].ParameterType, GrainJson.Options));
        Outbox.Messages.Add(new OutboxMessage(target, method.Name, json.ToJsonString(GrainJson.Options), dueAt, Activity.Current?.Id));
    }

    private static string Serialize(object value, Type type) => System.Text.Json.JsonSerializer.Serialize(value, type, GrainJson.Options);

    private void ThrowIfReadOnly()
    {
        if (ReadOnly)
            throw new InvalidOperationException($"A [ReadOnly] call on {Id} cannot emit messages, reminders, activities or assignments.");
    }
}
