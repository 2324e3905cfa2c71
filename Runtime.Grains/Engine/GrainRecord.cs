using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using Orleans;

namespace Runtime.Grains.Engine;

/// <summary>
/// What a <see cref="RuntimeGrain{TState}"/> stores: its state, the messages it has yet to deliver and
/// the ids of the messages it last received. The state goes to the table's <c>state</c> column (the
/// one its generated columns read), the rest to <c>meta</c> (migration 0012); the rows are written
/// by the same statement and not kept (migration 0017).
/// </summary>
public sealed class GrainRecord<TState> where TState : class, new()
{
    public TState State { get; set; } = new();

    /// <summary>Messages written with the state that sent them and removed once delivered.</summary>
    public List<OutboxMessage> Outbox { get; set; } = [];

    /// <summary>The latest messages received, newest last: a second delivery of one of them is skipped.</summary>
    public List<Guid> Seen { get; set; } = [];

    /// <summary>The grain's reminders by name: when each is next due, and its schedule.</summary>
    public Dictionary<string, StoredReminder> Reminders { get; set; } = new(StringComparer.Ordinal);

    /// <summary>Rows of the grain's own tables to write with this state (<see cref="CallContext.InsertRow"/>); null between writes.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public List<RowWrite>? Rows { get; set; }
}

/// <summary>A row of a table the grain owns (migration 0017's <c>grain_row_tables</c>), inserted or updated by its <c>id</c> column.</summary>
/// <param name="Op"><c>insert</c> or <c>update</c>.</param>
/// <param name="Values">Column name to value; an update sets only these columns.</param>
public sealed record RowWrite(string Table, string Op, JsonObject Values);

/// <summary>A reminder as its grain's record keeps it (<see cref="Reminders.ReminderSchedule"/> as JSON).</summary>
public sealed record StoredReminder(string Schedule, DateTimeOffset DueAt);

/// <summary>A one-way grain call recorded by <see cref="CallContext.Send{TGrain}(Guid)"/>, delivered after the sender's state is written.</summary>
/// <param name="Target">The target interface's alias (<c>[Alias]</c>) and the grain's key.</param>
/// <param name="Args">The arguments as JSON, one element per parameter.</param>
public sealed record OutboxMessage(Guid Id, string Target, string Key, string Method, string Args, DateTimeOffset DueAt);
