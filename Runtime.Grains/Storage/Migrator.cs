using System.Reflection;
using System.Text.RegularExpressions;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace Runtime.Grains.Storage;

/// <summary>Applies the numbered SQL migrations embedded in this assembly, once, under an advisory lock.</summary>
public sealed partial class Migrator(NpgsqlDataSource dataSource, ILogger<Migrator> logger)
{
    // Any constant works; it only has to be the same in every process that migrates.
    private const long AdvisoryLockKey = 0x52554e54494d45; // "RUNTIME"

    /// <summary>The migrations shipped with this build, in order.</summary>
    public static IReadOnlyList<Migration> All { get; } = Load();

    /// <summary>Applies what is missing and returns the versions this call applied (empty when another process did).</summary>
    public async Task<IReadOnlyList<int>> MigrateAsync(CancellationToken cancellationToken = default)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        // A session lock, not a transaction lock: each migration commits on its own, and the
        // others wait here until the first process is done instead of failing on a half-made schema.
        await Execute(connection, "SELECT pg_advisory_lock($1)", AdvisoryLockKey, cancellationToken);
        try
        {
            await Execute(connection, """
                CREATE TABLE IF NOT EXISTS schema_migrations (
                    version    integer PRIMARY KEY,
                    name       text        NOT NULL,
                    applied_at timestamptz NOT NULL DEFAULT now())
                """, null, cancellationToken);

            var applied = new HashSet<int>();
            await using (var command = new NpgsqlCommand("SELECT version FROM schema_migrations", connection))
            await using (var reader = await command.ExecuteReaderAsync(cancellationToken))
            {
                while (await reader.ReadAsync(cancellationToken))
                    applied.Add(reader.GetInt32(0));
            }

            var done = new List<int>();
            foreach (var migration in All.Where(m => !applied.Contains(m.Version)))
            {
                await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
                await using (var command = new NpgsqlCommand(migration.Sql, connection, transaction))
                    await command.ExecuteNonQueryAsync(cancellationToken);
                await using (var record = new NpgsqlCommand(
                    "INSERT INTO schema_migrations (version, name) VALUES ($1, $2)", connection, transaction))
                {
                    record.Parameters.Add(new NpgsqlParameter { Value = migration.Version });
                    record.Parameters.Add(new NpgsqlParameter { Value = migration.Name });
                    await record.ExecuteNonQueryAsync(cancellationToken);
                }
                await transaction.CommitAsync(cancellationToken);
                LogApplied(migration.Version, migration.Name);
                done.Add(migration.Version);
            }

            if (done.Count == 0)
                LogUpToDate(All.Count == 0 ? 0 : All[^1].Version);
            return done;
        }
        finally
        {
            await Execute(connection, "SELECT pg_advisory_unlock($1)", AdvisoryLockKey, CancellationToken.None);
        }
    }

    private static async Task Execute(NpgsqlConnection connection, string sql, long? key, CancellationToken ct)
    {
        await using var command = new NpgsqlCommand(sql, connection);
        if (key is { } k)
            command.Parameters.Add(new NpgsqlParameter { Value = k });
        await command.ExecuteNonQueryAsync(ct);
    }

    private static IReadOnlyList<Migration> Load()
    {
        var assembly = typeof(Migrator).Assembly;
        var list = new List<Migration>();
        foreach (var resource in assembly.GetManifestResourceNames())
        {
            var match = MigrationName().Match(resource);
            if (!match.Success)
                continue;
            using var stream = assembly.GetManifestResourceStream(resource)!;
            using var reader = new StreamReader(stream);
            list.Add(new Migration(int.Parse(match.Groups[1].Value), match.Groups[2].Value, reader.ReadToEnd()));
        }
        list.Sort((a, b) => a.Version.CompareTo(b.Version));
        for (var i = 1; i < list.Count; i++)
        {
            if (list[i].Version == list[i - 1].Version)
                throw new InvalidOperationException($"Two migrations are numbered {list[i].Version}.");
        }
        return list;
    }

    [GeneratedRegex(@"^Migrations/(\d{4})_([a-z0-9_]+)\.sql$")]
    private static partial Regex MigrationName();

    [LoggerMessage(Level = LogLevel.Information, Message = "Applied migration {Version} ({Name})")]
    private partial void LogApplied(int version, string name);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Database schema is up to date at version {Version}")]
    private partial void LogUpToDate(int version);
}

/// <summary>One numbered SQL script.</summary>
public sealed record Migration(int Version, string Name, string Sql);
