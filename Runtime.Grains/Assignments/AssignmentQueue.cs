using System.Text.Json;
using Npgsql;

namespace Runtime.Grains.Assignments;

/// <summary>
/// The agents' side of the assignments table: claim work for one environment with a lease, renew
/// it, complete it. A lease that runs out (the agent died) makes the assignment claimable again.
/// </summary>
public sealed class AssignmentQueue(NpgsqlDataSource dataSource, TimeProvider time)
{
    /// <summary>Claims up to <paramref name="max"/> assignments of <paramref name="environmentId"/> for <paramref name="agentId"/>.</summary>
    public async Task<IReadOnlyList<Assignment>> ClaimAsync(string environmentId, string agentId, int max, TimeSpan lease, CancellationToken ct = default)
    {
        var now = time.GetUtcNow();
        await using var command = dataSource.CreateCommand("""
            UPDATE assignments a
            SET status = 'claimed', claimed_by = $2, available_at = $3 + $4, attempts = a.attempts + 1
            WHERE a.id IN (
                SELECT id FROM assignments
                WHERE environment_id = $1 AND status IN ('pending', 'claimed') AND available_at <= $3
                ORDER BY available_at, created_at
                LIMIT $5
                FOR UPDATE SKIP LOCKED)
            RETURNING a.id, a.environment_id, a.workload_id, a.kind, a.spec::text, a.grain_type, a.grain_key, a.attempts, a.available_at, a.created_at
            """);
        command.Parameters.Add(new NpgsqlParameter { Value = environmentId });
        command.Parameters.Add(new NpgsqlParameter { Value = agentId });
        command.Parameters.Add(new NpgsqlParameter { Value = now });
        command.Parameters.Add(new NpgsqlParameter { Value = lease });
        command.Parameters.Add(new NpgsqlParameter { Value = max });
        var claimed = new List<(Assignment Assignment, DateTime CreatedAt)>();
        await using var reader = await command.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct))
        {
            claimed.Add((new Assignment(
                reader.GetGuid(0), reader.GetString(1), reader.GetString(2), reader.GetString(3),
                JsonDocument.Parse(reader.GetString(4)).RootElement,
                new GrainId(reader.GetString(5), reader.GetString(6)),
                reader.GetInt32(7), reader.GetFieldValue<DateTimeOffset>(8)), reader.GetDateTime(9)));
        }
        // UPDATE … RETURNING does not keep the subquery's order.
        return claimed.OrderBy(c => c.CreatedAt).Select(c => c.Assignment).ToList();
    }

    /// <summary>Extends the lease of an assignment this agent holds; false when it no longer holds it.</summary>
    public async Task<bool> RenewAsync(Guid id, string agentId, TimeSpan lease, CancellationToken ct = default)
    {
        await using var command = dataSource.CreateCommand(
            "UPDATE assignments SET available_at = $3 + $4 WHERE id = $1 AND claimed_by = $2 AND status = 'claimed'");
        AddParameters(command, id, agentId, time.GetUtcNow(), lease);
        return await command.ExecuteNonQueryAsync(ct) == 1;
    }

    /// <summary>Records the outcome of an assignment this agent holds; false when it no longer holds it.</summary>
    public async Task<bool> CompleteAsync(Guid id, string agentId, bool succeeded, JsonElement? result, CancellationToken ct = default)
    {
        await using var command = dataSource.CreateCommand("""
            UPDATE assignments SET status = $3, result = $4::jsonb, completed_at = $5
            WHERE id = $1 AND claimed_by = $2 AND status = 'claimed'
            """);
        AddParameters(command, id, agentId, succeeded ? "completed" : "failed",
            result is { } r ? r.GetRawText() : DBNull.Value, time.GetUtcNow());
        return await command.ExecuteNonQueryAsync(ct) == 1;
    }

    /// <summary>
    /// Records that <paramref name="agentId"/> now runs the workload of a finished start assignment (it adopted
    /// the workload of an agent that died), so that stops reach it. False when the assignment is gone, or
    /// when it was completed by another claim than <paramref name="attempt"/> (0: any).
    /// A stop of the workload still waiting in the previous agent's own queue (sent while no agent ran it)
    /// moves to <paramref name="agentId"/>'s with it.
    /// </summary>
    public async Task<bool> AdoptAsync(Guid id, string agentId, int attempt, CancellationToken ct = default)
    {
        await using var command = dataSource.CreateCommand("""
            WITH adopted AS (
                UPDATE assignments SET claimed_by = $2 WHERE id = $1 AND status = 'completed' AND ($3 = 0 OR attempts = $3)
                RETURNING id),
            stops AS (
                UPDATE assignments s SET environment_id = split_part(s.environment_id, '@', 1) || '@' || $2
                FROM adopted
                WHERE s.kind = 'stop' AND s.status = 'pending' AND s.spec ->> 'assignmentId' = adopted.id::text
                RETURNING s.id)
            SELECT count(*) FROM adopted
            """);
        AddParameters(command, id, agentId, attempt);
        return await command.ExecuteScalarAsync(ct) is 1L;
    }

    /// <summary>The status of an assignment, or null when there is none with that id.</summary>
    public async Task<AssignmentStatus?> StatusAsync(Guid id, CancellationToken ct = default)
    {
        await using var command = dataSource.CreateCommand("SELECT status FROM assignments WHERE id = $1");
        AddParameters(command, id);
        return await command.ExecuteScalarAsync(ct) is string status ? Enum.Parse<AssignmentStatus>(status, ignoreCase: true) : null;
    }

    /// <summary>An assignment's status and the result its agent recorded, or null when there is none with that id.</summary>
    public async Task<(AssignmentStatus Status, JsonElement? Result)?> OutcomeAsync(Guid id, CancellationToken ct = default)
    {
        await using var command = dataSource.CreateCommand("SELECT status, result::text FROM assignments WHERE id = $1");
        AddParameters(command, id);
        await using var reader = await command.ExecuteReaderAsync(ct);
        if (!await reader.ReadAsync(ct))
            return null;
        return (Enum.Parse<AssignmentStatus>(reader.GetString(0), ignoreCase: true), reader.IsDBNull(1) ? null : JsonDocument.Parse(reader.GetString(1)).RootElement);
    }

    /// <summary>An assignment of <paramref name="environmentId"/> (or of one of its agents' own queues), or null.</summary>
    public async Task<Assignment?> FindAsync(Guid id, string environmentId, CancellationToken ct = default)
    {
        await using var command = dataSource.CreateCommand("""
            SELECT id, environment_id, workload_id, kind, spec::text, grain_type, grain_key, attempts, available_at FROM assignments
            WHERE id = $1 AND (environment_id = $2 OR starts_with(environment_id, $2 || '@'))
            """);
        AddParameters(command, id, environmentId);
        await using var reader = await command.ExecuteReaderAsync(ct);
        if (!await reader.ReadAsync(ct))
            return null;
        return new Assignment(reader.GetGuid(0), reader.GetString(1), reader.GetString(2), reader.GetString(3), JsonDocument.Parse(reader.GetString(4)).RootElement,
            new GrainId(reader.GetString(5), reader.GetString(6)), reader.GetInt32(7), reader.GetFieldValue<DateTimeOffset>(8));
    }

    /// <summary>Which of <paramref name="workloadIds"/> have an assignment in <paramref name="environmentId"/> (or its agents' queues).</summary>
    public async Task<IReadOnlySet<string>> WorkloadsOfAsync(string environmentId, IReadOnlyCollection<string> workloadIds, CancellationToken ct = default)
    {
        await using var command = dataSource.CreateCommand("""
            SELECT DISTINCT workload_id FROM assignments
            WHERE workload_id = ANY($1) AND (environment_id = $2 OR starts_with(environment_id, $2 || '@'))
            """);
        AddParameters(command, workloadIds.ToArray(), environmentId);
        var found = new HashSet<string>(StringComparer.Ordinal);
        await using var reader = await command.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct))
            found.Add(reader.GetString(0));
        return found;
    }

    /// <summary>Whether an assignment of <paramref name="environmentId"/> runs revision archive <paramref name="hash"/>: its agent may fetch it.</summary>
    public async Task<bool> UsesArchiveAsync(string environmentId, string hash, CancellationToken ct = default)
    {
        await using var command = dataSource.CreateCommand("SELECT EXISTS (SELECT 1 FROM assignments WHERE environment_id = $1 AND spec ->> 'archive' = $2)");
        AddParameters(command, environmentId, hash);
        return await command.ExecuteScalarAsync(ct) is true;
    }

    private static void AddParameters(NpgsqlCommand command, params object[] values)
    {
        foreach (var value in values)
            command.Parameters.Add(new NpgsqlParameter { Value = value });
    }
}
