using Npgsql;
using NpgsqlTypes;

namespace Runtime.Grains.Logs;

/// <summary>A stored line of a workload's output.</summary>
public sealed record StoredLogLine(long Id, string Stream, DateTimeOffset At, string Line);

/// <summary>Workloads' output in PostgreSQL: appended in batches, read by tail or after a position.</summary>
public sealed class WorkloadLogStore(NpgsqlDataSource dataSource)
{
    /// <summary>
    /// Appends lines in one statement and, in the same transaction, announces each of their workloads on
    /// <see cref="Channels.Logs"/>: a follower woken by it finds the lines stored.
    /// </summary>
    public async Task AppendAsync(IReadOnlyList<(string WorkloadId, string Stream, DateTimeOffset At, string Line)> lines, CancellationToken ct = default)
    {
        if (lines.Count == 0)
            return;
        await using var batch = dataSource.CreateBatch();
        var insert = new NpgsqlBatchCommand("INSERT INTO workload_logs (workload_id, stream, at, line) SELECT * FROM unnest($1::text[], $2::text[], $3::timestamptz[], $4::text[])");
        insert.Parameters.Add(new NpgsqlParameter { Value = lines.Select(l => l.WorkloadId).ToArray() });
        insert.Parameters.Add(new NpgsqlParameter { Value = lines.Select(l => l.Stream).ToArray() });
        insert.Parameters.Add(new NpgsqlParameter { NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.TimestampTz, Value = lines.Select(l => l.At).ToArray() });
        // PostgreSQL text cannot hold NUL.
        insert.Parameters.Add(new NpgsqlParameter { Value = lines.Select(l => l.Line.Replace("\0", "", StringComparison.Ordinal)).ToArray() });
        batch.BatchCommands.Add(insert);
        foreach (var workload in lines.Select(l => l.WorkloadId).Distinct())
        {
            var notify = new NpgsqlBatchCommand("SELECT pg_notify($1, $2)");
            notify.Parameters.Add(new NpgsqlParameter { Value = Channels.Logs });
            notify.Parameters.Add(new NpgsqlParameter { Value = workload });
            batch.BatchCommands.Add(notify);
        }
        await batch.ExecuteNonQueryAsync(ct);
    }

    /// <summary>The last <paramref name="tail"/> lines of a workload, oldest first.</summary>
    public async Task<IReadOnlyList<StoredLogLine>> TailAsync(string workloadId, int tail, CancellationToken ct = default)
    {
        await using var command = dataSource.CreateCommand(
            "SELECT id, stream, at, line FROM (SELECT * FROM workload_logs WHERE workload_id = $1 ORDER BY id DESC LIMIT $2) t ORDER BY id");
        command.Parameters.Add(new NpgsqlParameter { Value = workloadId });
        command.Parameters.Add(new NpgsqlParameter { Value = tail });
        return await ReadAsync(command, ct);
    }

    /// <summary>Lines of a workload after position <paramref name="afterId"/>, oldest first.</summary>
    public async Task<IReadOnlyList<StoredLogLine>> AfterAsync(string workloadId, long afterId, int limit, CancellationToken ct = default)
    {
        await using var command = dataSource.CreateCommand("SELECT id, stream, at, line FROM workload_logs WHERE workload_id = $1 AND id > $2 ORDER BY id LIMIT $3");
        command.Parameters.Add(new NpgsqlParameter { Value = workloadId });
        command.Parameters.Add(new NpgsqlParameter { Value = afterId });
        command.Parameters.Add(new NpgsqlParameter { Value = limit });
        return await ReadAsync(command, ct);
    }

    private static async Task<IReadOnlyList<StoredLogLine>> ReadAsync(NpgsqlCommand command, CancellationToken ct)
    {
        var lines = new List<StoredLogLine>();
        await using var reader = await command.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct))
            lines.Add(new StoredLogLine(reader.GetInt64(0), reader.GetString(1), reader.GetFieldValue<DateTimeOffset>(2), reader.GetString(3)));
        return lines;
    }
}
