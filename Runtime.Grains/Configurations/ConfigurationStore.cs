using System.Text.Json;
using Npgsql;
using NpgsqlTypes;
using Runtime.Grains.Secrets;

namespace Runtime.Grains.Configurations;

/// <summary>A project's configuration versions: a new version only when the files changed; secret files encrypted.</summary>
public sealed class ConfigurationStore(NpgsqlDataSource dataSource, SecretCipher cipher, TimeProvider time)
{
    public static string Context(Guid projectId, string hash, string file) => $"project/{projectId:D}/configuration/{hash}/{file}";

    /// <summary>Stores the files as the next version unless the latest has the same content; returns the version and whether it is new.</summary>
    public async Task<(ConfigurationVersionView View, bool Created)> PutAsync(Guid projectId, IReadOnlyDictionary<string, string?> files, string createdBy, CancellationToken ct)
    {
        ConfigurationFiles.Validate(files);
        var hash = ConfigurationFiles.Hash(string.Join('\n', files.OrderBy(f => f.Key, StringComparer.Ordinal).Select(f => $"{f.Key}\t{ConfigurationFiles.Hash(f.Value!)}")));
        if (await LatestAsync(projectId, ct) is { } latest && latest.Hash == hash)
            return (latest, false);
        var stored = files.ToDictionary(f => f.Key, f =>
        {
            var secret = ConfigurationFiles.IsSecret(f.Key);
            return new StoredConfigurationFile(ConfigurationFiles.Hash(f.Value!), System.Text.Encoding.UTF8.GetByteCount(f.Value!), secret,
                secret ? null : f.Value, secret ? cipher.Encrypt(f.Value!, Context(projectId, hash, f.Key)) : null);
        });
        await using var command = dataSource.CreateCommand("""
            INSERT INTO configuration_versions (project_id, version, hash, files, created_at, created_by)
            SELECT $1, coalesce(max(version), 0) + 1, $2, $3, $4, $5 FROM configuration_versions WHERE project_id = $1
            RETURNING version
            """);
        command.Parameters.Add(new NpgsqlParameter { Value = projectId.ToString("D") });
        command.Parameters.Add(new NpgsqlParameter { Value = hash });
        command.Parameters.Add(new NpgsqlParameter { NpgsqlDbType = NpgsqlDbType.Jsonb, Value = JsonSerializer.Serialize(stored, GrainJson.Options) });
        command.Parameters.Add(new NpgsqlParameter { Value = time.GetUtcNow() });
        command.Parameters.Add(new NpgsqlParameter { Value = createdBy });
        var version = (int)(await command.ExecuteScalarAsync(ct))!;
        return (View(version, hash, stored, time.GetUtcNow(), createdBy), true);
    }

    /// <summary>The latest version's files as stored (secret ones encrypted), those <paramref name="wanted"/> only; null when the project has none.</summary>
    public async Task<(int Version, string Hash, Dictionary<string, StoredConfigurationFile> Files)?> LatestFilesAsync(
        Guid projectId, Func<string, bool> wanted, CancellationToken ct = default)
    {
        await using var command = dataSource.CreateCommand("SELECT version, hash, files::text FROM configuration_versions WHERE project_id = $1 ORDER BY version DESC LIMIT 1");
        command.Parameters.Add(new NpgsqlParameter { Value = projectId.ToString("D") });
        await using var reader = await command.ExecuteReaderAsync(ct);
        if (!await reader.ReadAsync(ct))
            return null;
        var files = Files(reader.GetString(2));
        return (reader.GetInt32(0), reader.GetString(1), files.Where(f => wanted(f.Key)).ToDictionary(f => f.Key, f => f.Value));
    }

    public async Task<IReadOnlyList<ConfigurationVersionView>> ListAsync(Guid projectId, CancellationToken ct) =>
        await QueryAsync("WHERE project_id = $1 ORDER BY version DESC LIMIT 100", projectId, ct);

    public async Task<ConfigurationVersionView?> LatestAsync(Guid projectId, CancellationToken ct) =>
        (await QueryAsync("WHERE project_id = $1 ORDER BY version DESC LIMIT 1", projectId, ct)).FirstOrDefault();

    private async Task<List<ConfigurationVersionView>> QueryAsync(string where, Guid projectId, CancellationToken ct)
    {
        await using var command = dataSource.CreateCommand($"SELECT version, hash, files::text, created_at, created_by FROM configuration_versions {where}");
        command.Parameters.Add(new NpgsqlParameter { Value = projectId.ToString("D") });
        var views = new List<ConfigurationVersionView>();
        await using var reader = await command.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct))
        {
            views.Add(View(reader.GetInt32(0), reader.GetString(1), Files(reader.GetString(2)), reader.GetFieldValue<DateTimeOffset>(3), reader.GetString(4)));
        }
        return views;
    }

    private static Dictionary<string, StoredConfigurationFile> Files(string json) =>
        JsonSerializer.Deserialize<Dictionary<string, StoredConfigurationFile>>(json, GrainJson.Options)!;

    private static ConfigurationVersionView View(int version, string hash, IReadOnlyDictionary<string, StoredConfigurationFile> files, DateTimeOffset at, string by) =>
        new(version, hash, files.OrderBy(f => f.Key, StringComparer.Ordinal).Select(f => new ConfigurationFileView(f.Key, f.Value.Hash, f.Value.Size, f.Value.Secret)).ToList(), at, by);
}
