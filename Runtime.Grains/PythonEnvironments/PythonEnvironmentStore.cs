using Npgsql;

namespace Runtime.Grains.PythonEnvironments;

/// <summary>A workspace's Python environment as stored.</summary>
public sealed record PythonEnvironmentView(string Name, string Interpreter, string Requirements, bool InheritSystemPackages, bool BuiltIn, DateTimeOffset? UpdatedAt);

/// <summary>
/// A workspace's Python environments (name, interpreter, requirements). Every workspace also has
/// <c>default</c>: the agent's interpreter with the packages installed beside it, until an Owner
/// defines <c>default</c> otherwise.
/// </summary>
public sealed class PythonEnvironmentStore(NpgsqlDataSource dataSource, TimeProvider time)
{
    public const string DefaultName = "default";

    /// <summary>The interpreter name that <c>default</c> stands for; each agent resolves it to its own (<c>Runtime:Agent:Python</c>).</summary>
    public const string AgentInterpreter = "agent";

    public static readonly PythonEnvironmentView BuiltInDefault = new(DefaultName, AgentInterpreter, "", InheritSystemPackages: true, BuiltIn: true, UpdatedAt: null);

    public async Task<IReadOnlyList<PythonEnvironmentView>> ListAsync(Guid workspaceId, CancellationToken ct = default)
    {
        await using var command = dataSource.CreateCommand(
            "SELECT name, interpreter, requirements, inherit_system_packages, updated_at FROM python_environments WHERE workspace_id = $1 ORDER BY name");
        command.Parameters.Add(new NpgsqlParameter { Value = workspaceId });
        var list = new List<PythonEnvironmentView>();
        await using (var reader = await command.ExecuteReaderAsync(ct))
        {
            while (await reader.ReadAsync(ct))
                list.Add(Read(reader));
        }
        if (list.All(e => e.Name != DefaultName))
            list.Insert(0, BuiltInDefault);
        return list;
    }

    public async Task<PythonEnvironmentView?> FindAsync(Guid workspaceId, string name, CancellationToken ct = default)
    {
        await using var command = dataSource.CreateCommand(
            "SELECT name, interpreter, requirements, inherit_system_packages, updated_at FROM python_environments WHERE workspace_id = $1 AND name = $2");
        command.Parameters.Add(new NpgsqlParameter { Value = workspaceId });
        command.Parameters.Add(new NpgsqlParameter { Value = name });
        await using var reader = await command.ExecuteReaderAsync(ct);
        if (await reader.ReadAsync(ct))
            return Read(reader);
        return name == DefaultName ? BuiltInDefault : null;
    }

    /// <summary>Creates or replaces; returns whether it was created.</summary>
    public async Task<(PythonEnvironmentView View, bool Created)> PutAsync(Guid workspaceId, PythonEnvironmentInput input, CancellationToken ct = default)
    {
        await using var command = dataSource.CreateCommand("""
            INSERT INTO python_environments (workspace_id, name, interpreter, requirements, inherit_system_packages, created_at, updated_at)
            VALUES ($1, $2, $3, $4, $5, $6, $6)
            ON CONFLICT (workspace_id, name) DO UPDATE
                SET interpreter = excluded.interpreter, requirements = excluded.requirements,
                    inherit_system_packages = excluded.inherit_system_packages, updated_at = excluded.updated_at
            RETURNING name, interpreter, requirements, inherit_system_packages, updated_at, created_at = updated_at
            """);
        command.Parameters.Add(new NpgsqlParameter { Value = workspaceId });
        command.Parameters.Add(new NpgsqlParameter { Value = input.Name });
        command.Parameters.Add(new NpgsqlParameter { Value = input.Interpreter });
        command.Parameters.Add(new NpgsqlParameter { Value = input.Requirements });
        command.Parameters.Add(new NpgsqlParameter { Value = input.InheritSystemPackages });
        command.Parameters.Add(new NpgsqlParameter { Value = time.GetUtcNow() });
        await using var reader = await command.ExecuteReaderAsync(ct);
        await reader.ReadAsync(ct);
        return (Read(reader), reader.GetBoolean(5));
    }

    public async Task<bool> DeleteAsync(Guid workspaceId, string name, CancellationToken ct = default)
    {
        await using var command = dataSource.CreateCommand("DELETE FROM python_environments WHERE workspace_id = $1 AND name = $2");
        command.Parameters.Add(new NpgsqlParameter { Value = workspaceId });
        command.Parameters.Add(new NpgsqlParameter { Value = name });
        return await command.ExecuteNonQueryAsync(ct) == 1;
    }

    /// <summary>Slugs of the workspace's projects that use the environment.</summary>
    public async Task<IReadOnlyList<string>> UsersAsync(Guid workspaceId, string name, CancellationToken ct = default)
    {
        await using var command = dataSource.CreateCommand(
            "SELECT slug FROM projects WHERE workspace_id = $1 AND state->>'pythonEnvironment' = $2 ORDER BY slug LIMIT 20");
        command.Parameters.Add(new NpgsqlParameter { Value = workspaceId.ToString("D") });
        command.Parameters.Add(new NpgsqlParameter { Value = name });
        var slugs = new List<string>();
        await using var reader = await command.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct))
            slugs.Add(reader.GetString(0));
        return slugs;
    }

    private static PythonEnvironmentView Read(NpgsqlDataReader reader) =>
        new(reader.GetString(0), reader.GetString(1), reader.GetString(2), reader.GetBoolean(3), BuiltIn: false, reader.GetFieldValue<DateTimeOffset>(4));
}
