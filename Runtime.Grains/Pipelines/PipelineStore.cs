using System.Text.Json;
using Npgsql;
using NpgsqlTypes;
using Runtime.Grains.Tokens;

namespace Runtime.Grains.Pipelines;

/// <summary>Pipeline-run reports: accepted from a run holding its own token, aggregated per pipeline and per dataset.</summary>
public sealed class PipelineStore(NpgsqlDataSource dataSource, TimeProvider time)
{
    /// <summary>The run a run token belongs to, while that run has not ended; null otherwise.</summary>
    public async Task<(Guid RunId, string JobId, string WorkspaceId)?> RunOfTokenAsync(Guid runId, string token, CancellationToken ct)
    {
        await using var command = dataSource.CreateCommand("SELECT job_id, workspace_id FROM runs WHERE id = $1 AND token_hash = $2 AND ended_at IS NULL");
        command.Parameters.Add(new NpgsqlParameter { Value = runId });
        command.Parameters.Add(new NpgsqlParameter { Value = ApiTokens.Hash(token) });
        await using var reader = await command.ExecuteReaderAsync(ct);
        return await reader.ReadAsync(ct) ? (runId, reader.GetString(0), reader.GetString(1)) : null;
    }

    public async Task<Guid> AddAsync((Guid RunId, string JobId, string WorkspaceId) run, PipelineReport report, CancellationToken ct)
    {
        PipelineReports.Validate(report);
        var tables = report.Tables ?? [];
        var id = Guid.CreateVersion7(time.GetUtcNow());
        await using var command = dataSource.CreateCommand("""
            INSERT INTO pipeline_runs (id, workspace_id, run_id, job_id, pipeline, destination_type, destination_name, dataset, tables, rows_loaded, bytes_loaded,
                                       started_at, ended_at, status, created_at)
            VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)
            """);
        foreach (var value in new object[]
        {
            id, run.WorkspaceId, run.RunId, run.JobId, report.PipelineName!.Trim(), report.DestinationType!.Trim(), report.DestinationName!.Trim(), report.Dataset!.Trim(),
        })
        {
            command.Parameters.Add(new NpgsqlParameter { Value = value });
        }
        command.Parameters.Add(new NpgsqlParameter { NpgsqlDbType = NpgsqlDbType.Jsonb, Value = JsonSerializer.Serialize(tables, GrainJson.Options) });
        command.Parameters.Add(new NpgsqlParameter { Value = tables.Sum(t => t.Rows ?? 0) });
        command.Parameters.Add(new NpgsqlParameter { Value = tables.Sum(t => t.Bytes ?? 0) });
        command.Parameters.Add(new NpgsqlParameter { Value = report.StartedAt!.Value });
        command.Parameters.Add(new NpgsqlParameter { Value = report.EndedAt!.Value });
        command.Parameters.Add(new NpgsqlParameter { Value = report.Status! });
        command.Parameters.Add(new NpgsqlParameter { Value = time.GetUtcNow() });
        await command.ExecuteNonQueryAsync(ct);
        return id;
    }

    /// <summary>Each pipeline the workspace's runs reported, most recently seen first.</summary>
    public async Task<IReadOnlyList<PipelineView>> PipelinesAsync(Guid workspaceId, CancellationToken ct)
    {
        await using var command = dataSource.CreateCommand("""
            SELECT pipeline, destination_type, destination_name, dataset, count(*), avg(CASE WHEN status = 'completed' THEN 1.0 ELSE 0.0 END),
                   sum(rows_loaded), max(ended_at),
                   (array_agg(status ORDER BY ended_at DESC))[1],
                   (array_agg(extract(epoch FROM ended_at - started_at)::float8 ORDER BY ended_at DESC))[1:10]
            FROM pipeline_runs WHERE workspace_id = $1
            GROUP BY pipeline, destination_type, destination_name, dataset
            ORDER BY max(ended_at) DESC
            """);
        command.Parameters.Add(new NpgsqlParameter { Value = workspaceId.ToString("D") });
        var views = new List<PipelineView>();
        await using var reader = await command.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct))
        {
            views.Add(new PipelineView(reader.GetString(0), reader.GetString(1), reader.GetString(2), reader.GetString(3), (int)reader.GetInt64(4),
                Math.Round((double)reader.GetDecimal(5), 4), reader.GetInt64(6), reader.GetFieldValue<DateTimeOffset>(7), reader.GetString(8),
                reader.GetFieldValue<double[]>(9)));
        }
        return views;
    }

    /// <summary>Each dataset the workspace's runs loaded into, with its tables.</summary>
    public async Task<IReadOnlyList<DatasetView>> DatasetsAsync(Guid workspaceId, CancellationToken ct)
    {
        await using var command = dataSource.CreateCommand("""
            SELECT p.destination_type, p.destination_name, p.dataset, t ->> 'name', sum(coalesce((t ->> 'rows')::bigint, 0)), max(p.ended_at)
            FROM pipeline_runs p, jsonb_array_elements(p.tables) t
            WHERE p.workspace_id = $1
            GROUP BY 1, 2, 3, 4
            ORDER BY 1, 2, 3, 4
            """);
        command.Parameters.Add(new NpgsqlParameter { Value = workspaceId.ToString("D") });
        var rows = new List<(string Type, string Name, string Dataset, TableView Table)>();
        await using (var reader = await command.ExecuteReaderAsync(ct))
        {
            while (await reader.ReadAsync(ct))
                rows.Add((reader.GetString(0), reader.GetString(1), reader.GetString(2), new TableView(reader.GetString(3), reader.GetInt64(4), reader.GetFieldValue<DateTimeOffset>(5))));
        }
        return rows.GroupBy(r => (r.Type, r.Name, r.Dataset))
            .Select(g => new DatasetView(g.Key.Type, g.Key.Name, g.Key.Dataset, g.Select(r => r.Table).ToList(), g.Max(r => r.Table.LastLoaded)))
            .OrderByDescending(d => d.LastLoaded)
            .ToList();
    }
}
