using Npgsql;

namespace Runtime.Grains.Environments;

/// <summary>The read side of environments: find one by name or id, list a project's, and find the one a token opens.</summary>
public sealed class EnvironmentStore(NpgsqlDataSource dataSource, TimeProvider time)
{
    /// <summary>The project's environment named (or with the id) <paramref name="idOrName"/>, or null.</summary>
    public Task<Guid?> FindAsync(Guid projectId, string idOrName, CancellationToken ct = default) =>
        Storage.ProjectParts.FindAsync(dataSource, "environments", projectId, idOrName, ct);

    public Task<IReadOnlyList<Guid>> ListAsync(Guid projectId, CancellationToken ct = default) =>
        Storage.ProjectParts.ListAsync(dataSource, "environments", projectId, ct);

    /// <summary>The environment an agent's token opens: its current token, or the rotated-out one within its grace. Null for any other.</summary>
    public async Task<AgentCredentials?> ByTokenAsync(string tokenHash, CancellationToken ct = default)
    {
        await using var command = dataSource.CreateCommand("""
            SELECT key, workspace_id, project_id, name, state ->> 'status', (state -> 'agent' ->> 'agentId')::uuid,
                   token_hash = $1, (state ->> 'previousTokenValidUntil')::timestamptz
            FROM environments WHERE token_hash = $1 OR previous_token_hash = $1
            """);
        command.Parameters.Add(new NpgsqlParameter { Value = tokenHash });
        await using var reader = await command.ExecuteReaderAsync(ct);
        if (!await reader.ReadAsync(ct))
            return null;
        var current = reader.GetBoolean(6);
        if (!current && (reader.IsDBNull(7) || reader.GetFieldValue<DateTimeOffset>(7) <= time.GetUtcNow()))
            return null;
        return new AgentCredentials(Guid.Parse(reader.GetString(0)), Guid.Parse(reader.GetString(1)), Guid.Parse(reader.GetString(2)), reader.GetString(3),
            Enum.Parse<EnvironmentStatus>(reader.GetString(4)), reader.IsDBNull(5) ? null : reader.GetGuid(5));
    }

    /// <summary>The status of environment <paramref name="id"/> and since when, or null.</summary>
    public async Task<(string Name, EnvironmentStatus Status, DateTimeOffset Since)?> StatusAsync(Guid id, CancellationToken ct = default)
    {
        await using var command = dataSource.CreateCommand("SELECT name, state ->> 'status', (state ->> 'statusChangedAt')::timestamptz FROM environments WHERE key = $1");
        command.Parameters.Add(new NpgsqlParameter { Value = id.ToString("D") });
        await using var reader = await command.ExecuteReaderAsync(ct);
        return await reader.ReadAsync(ct) ? (reader.GetString(0), Enum.Parse<EnvironmentStatus>(reader.GetString(1)), reader.GetFieldValue<DateTimeOffset>(2)) : null;
    }
}

/// <summary>Who a valid agent token belongs to, and which agent holds the environment now.</summary>
public sealed record AgentCredentials(Guid EnvironmentId, Guid WorkspaceId, Guid ProjectId, string Name, EnvironmentStatus Status, Guid? HolderAgentId);
