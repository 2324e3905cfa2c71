using System.Security.Cryptography;
using Npgsql;
using Runtime.Execution.Files;
using Runtime.Execution.Processes;

namespace Runtime.AppHost.Postgres;

/// <summary>
/// The AppHost's own PostgreSQL: a cluster in <c>&lt;data&gt;/postgres</c>, durable (fsync on), reachable
/// on loopback only with a password kept in <c>&lt;data&gt;/postgres.password</c> (0600), holding the
/// <c>runtime</c> database.
/// </summary>
public static class EmbeddedDatabase
{
    public const string DatabaseName = "runtime";
    public const string PasswordFileName = "postgres.password";

    public static async Task<(PostgresServer Server, string ConnectionString)> StartAsync(
        string dataDirectory, string? binDirectory, Action<string> output, CancellationToken cancellationToken)
    {
        Directory.CreateDirectory(dataDirectory);
        AllowTraversal(dataDirectory);
        var password = ReadOrCreatePassword(Path.Combine(dataDirectory, PasswordFileName));
        var server = await PostgresServer.StartAsync(new PostgresOptions
        {
            Directory = Path.Combine(dataDirectory, "postgres"),
            Password = password,
            BinDirectory = binDirectory,
            Fsync = true,
        }, output, cancellationToken);
        try
        {
            await EnsureDatabaseAsync(server, cancellationToken);
        }
        catch
        {
            await server.DisposeAsync();
            throw;
        }
        return (server, server.ConnectionString(DatabaseName));
    }

    // As root, PostgreSQL runs as an unprivileged user that must pass through the data directory to reach
    // its cluster. Search permission only: the files here (token, password) stay readable by their owner alone.
    private static void AllowTraversal(string directory)
    {
        if (!Runtime.Execution.Processes.Signals.IsRoot)
            return;
        var mode = File.GetUnixFileMode(directory);
        File.SetUnixFileMode(directory, mode | UnixFileMode.GroupExecute | UnixFileMode.OtherExecute);
    }

    private static async Task EnsureDatabaseAsync(PostgresServer server, CancellationToken ct)
    {
        await using var connection = new NpgsqlConnection(server.ConnectionString());
        await connection.OpenAsync(ct);
        await using var exists = new NpgsqlCommand("SELECT 1 FROM pg_database WHERE datname = $1", connection);
        exists.Parameters.Add(new NpgsqlParameter { Value = DatabaseName });
        if (await exists.ExecuteScalarAsync(ct) is not null)
            return;
        await using var create = new NpgsqlCommand($"CREATE DATABASE {DatabaseName}", connection);
        await create.ExecuteNonQueryAsync(ct);
    }

    private static string ReadOrCreatePassword(string path) =>
        PrivateFile.ReadOrCreate(path, () => Convert.ToHexString(RandomNumberGenerator.GetBytes(24)).ToLowerInvariant());
}
