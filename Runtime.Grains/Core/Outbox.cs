using Npgsql;
using NpgsqlTypes;
using Runtime.Grains.Assignments;
using Runtime.Grains.Reminders;

namespace Runtime.Grains;

internal sealed record OutboxMessage(GrainId Target, string Method, string Args, DateTimeOffset DueAt, string? TraceParent);

internal sealed record ReminderChange(string Name, ReminderSchedule? Schedule, DateTimeOffset? DueAt);

internal sealed record OutboxActivity(string Kind, string Payload, DateTimeOffset DueAt, string? TraceParent);

internal sealed record OutboxAssignment(Guid Id, AssignmentRequest Request, DateTimeOffset CreatedAt);

/// <summary>What one grain call emits, written as part of the call's final batch.</summary>
internal sealed class Outbox
{
    public List<OutboxMessage> Messages { get; } = [];

    public List<ReminderChange> Reminders { get; } = [];

    public List<OutboxActivity> Activities { get; } = [];

    public List<OutboxAssignment> Assignments { get; } = [];

    public bool IsEmpty => Messages.Count + Reminders.Count + Activities.Count + Assignments.Count == 0;

    /// <summary>Adds the inserts and the wake-up notifications to <paramref name="batch"/>.</summary>
    public void AppendTo(NpgsqlBatch batch, GrainId self)
    {
        foreach (var m in Messages)
        {
            batch.BatchCommands.Add(Command(
                "INSERT INTO messages (grain_type, grain_key, method, args, due_at, available_at, trace_parent) VALUES ($1, $2, $3, $4, $5, $5, $6)",
                m.Target.Type, m.Target.Key, m.Method, Json(m.Args), m.DueAt, (object?)m.TraceParent ?? DBNull.Value));
        }
        foreach (var r in Reminders)
        {
            batch.BatchCommands.Add(r.Schedule is null
                ? Command("DELETE FROM reminders WHERE grain_type = $1 AND grain_key = $2 AND name = $3", self.Type, self.Key, r.Name)
                : Command("""
                    INSERT INTO reminders (grain_type, grain_key, name, schedule, due_at, available_at)
                    VALUES ($1, $2, $3, $4, $5, $5)
                    ON CONFLICT (grain_type, grain_key, name) DO UPDATE
                    SET schedule = excluded.schedule, due_at = excluded.due_at, available_at = excluded.available_at,
                        claimed_by = NULL, attempts = 0, registered_at = now()
                    """, self.Type, self.Key, r.Name, Json(r.Schedule.ToJson()), r.DueAt!.Value));
        }
        foreach (var a in Activities)
        {
            batch.BatchCommands.Add(Command(
                "INSERT INTO activities (kind, payload, grain_type, grain_key, available_at, trace_parent) VALUES ($1, $2, $3, $4, $5, $6)",
                a.Kind, Json(a.Payload), self.Type, self.Key, a.DueAt, (object?)a.TraceParent ?? DBNull.Value));
        }
        foreach (var a in Assignments)
        {
            batch.BatchCommands.Add(Command("""
                INSERT INTO assignments (id, environment_id, workload_id, kind, spec, grain_type, grain_key, available_at, created_at)
                VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8)
                """, a.Id, a.Request.EnvironmentId, a.Request.WorkloadId, a.Request.Kind, Json(a.Request.Spec.GetRawText()),
                self.Type, self.Key, a.CreatedAt));
        }

        // Delivered on commit only, so a rolled-back call wakes nobody.
        if (Messages.Count > 0)
            batch.BatchCommands.Add(Command("SELECT pg_notify($1, '')", Channels.Messages));
        if (Reminders.Count > 0)
            batch.BatchCommands.Add(Command("SELECT pg_notify($1, '')", Channels.Reminders));
        if (Activities.Count > 0)
            batch.BatchCommands.Add(Command("SELECT pg_notify($1, '')", Channels.Activities));
        foreach (var environment in Assignments.Select(a => a.Request.EnvironmentId).Distinct())
            batch.BatchCommands.Add(Command("SELECT pg_notify($1, $2)", Channels.Assignments, environment));
    }

    internal static NpgsqlBatchCommand Command(string sql, params object[] values)
    {
        var command = new NpgsqlBatchCommand(sql);
        foreach (var value in values)
            command.Parameters.Add(value as NpgsqlParameter ?? new NpgsqlParameter { Value = value });
        return command;
    }

    internal static NpgsqlParameter Json(string json) => new() { NpgsqlDbType = NpgsqlDbType.Jsonb, Value = json };
}

/// <summary>The LISTEN/NOTIFY channels that wake the delivery loops and agents.</summary>
public static class Channels
{
    public const string Messages = "runtime_messages";
    public const string Reminders = "runtime_reminders";
    public const string Activities = "runtime_activities";
    public const string Assignments = "runtime_assignments";

    /// <summary>"&lt;grain type&gt;/&lt;key&gt;" of each committed write of a grain registered to announce its changes (caches listen).</summary>
    public const string Changes = "runtime_changes";
}
