using System.Text.Json;
using Npgsql;
using NpgsqlTypes;
using Runtime.Grains.Paging;

namespace Runtime.Grains.Projects;

/// <summary>The read side of projects: find by slug or id within a workspace, list, and free slugs.</summary>
public sealed class ProjectStore(NpgsqlDataSource dataSource)
{
    /// <summary>The project named <paramref name="idOrSlug"/> in the workspace, or null.</summary>
    public async Task<Guid?> FindAsync(Guid workspaceId, string idOrSlug, CancellationToken ct = default)
    {
        await using var command = dataSource.CreateCommand("SELECT key FROM projects WHERE workspace_id = $1 AND (slug = $2 OR key = $2)");
        command.Parameters.Add(new NpgsqlParameter { Value = workspaceId.ToString("D") });
        command.Parameters.Add(new NpgsqlParameter { Value = idOrSlug });
        return await command.ExecuteScalarAsync(ct) is string key ? Guid.Parse(key) : null;
    }

    /// <summary><paramref name="slug"/> if free in the workspace, else the first free <c>slug-2</c>, <c>slug-3</c> …</summary>
    /// <summary>The projects that run in environment <paramref name="environment"/> (its id) and are Deployed there.</summary>
    public async Task<IReadOnlyList<Guid>> DeployedInAsync(string environment, CancellationToken ct = default)
    {
        await using var command = dataSource.CreateCommand("SELECT key FROM projects WHERE state ->> 'environment' = $1 AND state ->> 'status' = 'Deployed'");
        command.Parameters.Add(new NpgsqlParameter { Value = environment });
        var keys = new List<Guid>();
        await using var reader = await command.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct))
            keys.Add(Guid.Parse(reader.GetString(0)));
        return keys;
    }

    public async Task<string> FreeSlugAsync(Guid workspaceId, string slug, CancellationToken ct = default)
    {
        await using var command = dataSource.CreateCommand("SELECT slug FROM projects WHERE workspace_id = $1 AND (slug = $2 OR slug LIKE $2 || '-%')");
        command.Parameters.Add(new NpgsqlParameter { Value = workspaceId.ToString("D") });
        command.Parameters.Add(new NpgsqlParameter { Value = slug });
        var taken = new HashSet<string>(StringComparer.Ordinal);
        await using var reader = await command.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct))
            taken.Add(reader.GetString(0));
        if (!taken.Contains(slug))
            return slug;
        for (var n = 2; ; n++)
        {
            var suffix = "-" + n;
            var candidate = (slug.Length + suffix.Length > 63 ? slug[..(63 - suffix.Length)] : slug) + suffix;
            if (!taken.Contains(candidate))
                return candidate;
        }
    }

    /// <summary>The workspace's projects, newest first.</summary>
    public async Task<Page<ProjectView>> ListAsync(Guid workspaceId, Cursor? after, int limit, CancellationToken ct = default)
    {
        await using var command = dataSource.CreateCommand("""
            SELECT key, state::text, created_at FROM projects
            WHERE workspace_id = $1 AND ($2::timestamptz IS NULL OR (created_at, key) < ($2, $3))
            ORDER BY created_at DESC, key DESC
            LIMIT $4
            """);
        command.Parameters.Add(new NpgsqlParameter { Value = workspaceId.ToString("D") });
        command.Parameters.Add(new NpgsqlParameter { NpgsqlDbType = NpgsqlDbType.TimestampTz, Value = (object?)after?.CreatedAt ?? DBNull.Value });
        command.Parameters.Add(new NpgsqlParameter { NpgsqlDbType = NpgsqlDbType.Text, Value = (object?)after?.Key ?? DBNull.Value });
        command.Parameters.Add(new NpgsqlParameter { Value = limit + 1 });
        var items = new List<(ProjectView View, Cursor At)>();
        await using var reader = await command.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct))
        {
            var key = reader.GetString(0);
            var state = JsonSerializer.Deserialize<ProjectState>(reader.GetString(1), GrainJson.Options)!;
            items.Add((ProjectViews.From(Guid.Parse(key), state), new Cursor(reader.GetFieldValue<DateTimeOffset>(2), key)));
        }
        var page = items.Take(limit).ToList();
        return new Page<ProjectView>(page.Select(i => i.View).ToList(), items.Count > limit ? page[^1].At.Encode() : null);
    }
}
