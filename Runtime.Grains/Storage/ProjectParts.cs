using Npgsql;

namespace Runtime.Grains.Storage;

/// <summary>
/// Grains that belong to a project (jobs, environments) in tables with generated <c>project_id</c> and
/// <c>name</c> columns: one found by name or id, and the project's, newest first.
/// </summary>
internal static class ProjectParts
{
    /// <param name="table">A grain table (a constant, never input).</param>
    public static async Task<Guid?> FindAsync(NpgsqlDataSource dataSource, string table, Guid projectId, string idOrName, CancellationToken ct)
    {
        await using var command = dataSource.CreateCommand($"SELECT key FROM {table} WHERE project_id = $1 AND (name = $2 OR key = $2)");
        command.Parameters.Add(new NpgsqlParameter { Value = projectId.ToString("D") });
        command.Parameters.Add(new NpgsqlParameter { Value = idOrName });
        return await command.ExecuteScalarAsync(ct) is string key ? Guid.Parse(key) : null;
    }

    /// <param name="table">A grain table (a constant, never input).</param>
    public static async Task<IReadOnlyList<Guid>> ListAsync(NpgsqlDataSource dataSource, string table, Guid projectId, CancellationToken ct)
    {
        await using var command = dataSource.CreateCommand($"SELECT key FROM {table} WHERE project_id = $1 ORDER BY created_at DESC, key DESC LIMIT 1000");
        command.Parameters.Add(new NpgsqlParameter { Value = projectId.ToString("D") });
        var keys = new List<Guid>();
        await using var reader = await command.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct))
            keys.Add(Guid.Parse(reader.GetString(0)));
        return keys;
    }
}
