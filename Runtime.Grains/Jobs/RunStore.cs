using Npgsql;
using NpgsqlTypes;
using Runtime.Grains.Paging;

namespace Runtime.Grains.Jobs;

/// <summary>The read side of jobs and runs: find a job by name, list jobs and runs, one run.</summary>
public sealed class RunStore(NpgsqlDataSource dataSource)
{
    /// <summary>The project's job named <paramref name="idOrName"/>, or null.</summary>
    public Task<Guid?> FindJobAsync(Guid projectId, string idOrName, CancellationToken ct = default) =>
        Storage.ProjectParts.FindAsync(dataSource, "jobs", projectId, idOrName, ct);

    /// <summary>The interactive job a public link's token (its SHA-256) opens, or null when no job has that link enabled.</summary>
    public async Task<PublicLinkTarget?> PublicLinkAsync(string tokenHash, CancellationToken ct = default)
    {
        await using var command = dataSource.CreateCommand(
            "SELECT key, state ->> 'basePath', (state -> 'publicLink' ->> 'expiresAt')::timestamptz FROM jobs WHERE public_link = $1");
        command.Parameters.Add(new NpgsqlParameter { Value = tokenHash });
        await using var reader = await command.ExecuteReaderAsync(ct);
        if (!await reader.ReadAsync(ct))
            return null;
        return new PublicLinkTarget(Guid.Parse(reader.GetString(0)), reader.GetString(1),
            reader.IsDBNull(2) ? null : reader.GetFieldValue<DateTimeOffset>(2));
    }

    public Task<IReadOnlyList<Guid>> JobsAsync(Guid projectId, CancellationToken ct = default) =>
        Storage.ProjectParts.ListAsync(dataSource, "jobs", projectId, ct);

    /// <summary>A job's runs, newest first.</summary>
    public async Task<Page<RunView>> RunsAsync(Guid jobId, Cursor? after, int limit, CancellationToken ct = default)
    {
        await using var command = dataSource.CreateCommand($"""
            SELECT {Columns} FROM runs
            WHERE job_id = $1 AND ($2::timestamptz IS NULL OR (created_at, id::text) < ($2, $3))
            ORDER BY created_at DESC, id::text DESC
            LIMIT $4
            """);
        command.Parameters.Add(new NpgsqlParameter { Value = jobId.ToString("D") });
        command.Parameters.Add(new NpgsqlParameter { NpgsqlDbType = NpgsqlDbType.TimestampTz, Value = (object?)after?.CreatedAt ?? DBNull.Value });
        command.Parameters.Add(new NpgsqlParameter { NpgsqlDbType = NpgsqlDbType.Text, Value = (object?)after?.Key ?? DBNull.Value });
        command.Parameters.Add(new NpgsqlParameter { Value = limit + 1 });
        var runs = new List<RunView>();
        await using var reader = await command.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct))
            runs.Add(Read(reader));
        var page = runs.Take(limit).ToList();
        return new Page<RunView>(page, runs.Count > limit ? new Cursor(page[^1].CreatedAt, page[^1].Id.ToString("D")).Encode() : null);
    }

    /// <summary>A run of the workspace, or null.</summary>
    public async Task<RunView?> RunAsync(Guid workspaceId, Guid runId, CancellationToken ct = default)
    {
        await using var command = dataSource.CreateCommand($"SELECT {Columns} FROM runs WHERE id = $1 AND workspace_id = $2");
        command.Parameters.Add(new NpgsqlParameter { Value = runId });
        command.Parameters.Add(new NpgsqlParameter { Value = workspaceId.ToString("D") });
        await using var reader = await command.ExecuteReaderAsync(ct);
        return await reader.ReadAsync(ct) ? Read(reader) : null;
    }

    /// <summary>The workspace's jobs with their last run, and its most recent runs (the overview).</summary>
    public async Task<WorkspaceOverview> OverviewAsync(Guid workspaceId, DateTimeOffset now, CancellationToken ct = default)
    {
        var jobs = new List<JobOverview>();
        await using (var command = dataSource.CreateCommand("""
            SELECT j.key, j.state::text, p.slug, l.number, l.status, l.ended_at
            FROM jobs j
            LEFT JOIN projects p ON p.key = j.project_id
            LEFT JOIN LATERAL (SELECT number, status, ended_at FROM runs WHERE job_id = j.key ORDER BY number DESC LIMIT 1) l ON true
            WHERE j.workspace_id = $1
            ORDER BY j.created_at DESC
            LIMIT 1000
            """))
        {
            command.Parameters.Add(new NpgsqlParameter { Value = workspaceId.ToString("D") });
            await using var reader = await command.ExecuteReaderAsync(ct);
            while (await reader.ReadAsync(ct))
            {
                var state = System.Text.Json.JsonSerializer.Deserialize<JobState>(reader.GetString(1), GrainJson.Options)!;
                DateTimeOffset? next = state.Cron is not null && state.Status == JobStatus.Active
                    ? Reminders.CronSchedule.Parse(state.Cron, state.TimeZone).Upcoming(now, 1).FirstOrDefault()
                    : null;
                var last = reader.IsDBNull(3) ? null : new LastRun(reader.GetInt32(3), Enum.Parse<RunStatus>(reader.GetString(4)),
                    reader.IsDBNull(5) ? null : reader.GetFieldValue<DateTimeOffset>(5));
                jobs.Add(new JobOverview(Guid.Parse(reader.GetString(0)), reader.IsDBNull(2) ? null : reader.GetString(2), state.Name, state.Cron, state.Status, next, last));
            }
        }
        var recent = new List<RunView>();
        await using (var command = dataSource.CreateCommand($"SELECT {Columns} FROM runs WHERE workspace_id = $1 ORDER BY created_at DESC LIMIT 100"))
        {
            command.Parameters.Add(new NpgsqlParameter { Value = workspaceId.ToString("D") });
            await using var reader = await command.ExecuteReaderAsync(ct);
            while (await reader.ReadAsync(ct))
                recent.Add(Read(reader));
        }
        return new WorkspaceOverview(jobs, recent);
    }

    private const string Columns = "id, job_id, number, trigger, status, created_at, started_at, ended_at, exit_code, reason, warning, revision, scheduled_for, attempt, retry_of, configuration_version";

    private static RunView Read(NpgsqlDataReader r)
    {
        DateTimeOffset? At(int i) => r.IsDBNull(i) ? null : r.GetFieldValue<DateTimeOffset>(i);
        string? Text(int i) => r.IsDBNull(i) ? null : r.GetString(i);
        var started = At(6);
        var ended = At(7);
        return new RunView(r.GetGuid(0), Guid.Parse(r.GetString(1)), r.GetInt32(2), r.GetString(3), r.GetInt32(13), r.IsDBNull(14) ? null : r.GetGuid(14),
            Enum.Parse<RunStatus>(r.GetString(4)),
            r.GetFieldValue<DateTimeOffset>(5), At(12), started, ended, r.IsDBNull(8) ? null : r.GetInt32(8),
            started is { } s && ended is { } e ? Math.Round((e - s).TotalSeconds, 3) : null, Text(9), Text(10), Text(11), r.IsDBNull(15) ? null : r.GetInt32(15));
    }
}

/// <summary>Where a public link leads: the job, its address, and until when the link works.</summary>
public sealed record PublicLinkTarget(Guid JobId, string BasePath, DateTimeOffset? ExpiresAt);
