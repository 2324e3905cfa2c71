using Npgsql;
using Runtime.AppHost.Postgres;
using Runtime.Grains.Storage;
using Microsoft.Extensions.Logging.Abstractions;

namespace Runtime.Tests.Infrastructure;

/// <summary>
/// One real PostgreSQL server for the whole test run (fsync off, trust on loopback), with a migrated
/// template database from which every test class gets a fresh database of its own.
/// </summary>
public sealed class PostgresCluster
{
    private const string Template = "runtime_template";

    private static readonly Lazy<Task<PostgresCluster>> Instance = new(StartAsync);
    private static int _databases;

    private readonly SemaphoreSlim _create = new(1, 1);

    private PostgresCluster(PostgresServer server) => Server = server;

    public PostgresServer Server { get; }

    public static Task<PostgresCluster> SharedAsync() => Instance.Value;

    /// <summary>A new database holding the current schema and the test grains' tables.</summary>
    public async Task<string> CreateDatabaseAsync()
    {
        var name = $"t{Environment.ProcessId}_{Interlocked.Increment(ref _databases)}";
        await _create.WaitAsync();
        try
        {
            await ExecuteAsync(Server.ConnectionString(), $"CREATE DATABASE {name} TEMPLATE {Template}");
        }
        finally
        {
            _create.Release();
        }
        return Server.ConnectionString(name);
    }

    /// <summary>An empty database, without migrations.</summary>
    public async Task<string> CreateEmptyDatabaseAsync()
    {
        var name = $"e{Environment.ProcessId}_{Interlocked.Increment(ref _databases)}";
        await ExecuteAsync(Server.ConnectionString(), $"CREATE DATABASE {name}");
        return Server.ConnectionString(name);
    }

    private static async Task<PostgresCluster> StartAsync()
    {
        RemoveLeftovers();
        var directory = Path.Combine(Path.GetTempPath(), $"runtime-tests-{Environment.ProcessId}");
        var server = await PostgresServer.StartAsync(new PostgresOptions
        {
            Directory = directory,
            Fsync = false,
            Settings = new Dictionary<string, string> { ["max_connections"] = "500", ["shared_buffers"] = "256MB" },
        });
        AppDomain.CurrentDomain.ProcessExit += (_, _) =>
        {
            server.StopAsync(TimeSpan.FromSeconds(10)).GetAwaiter().GetResult();
            try
            {
                Directory.Delete(directory, recursive: true);
            }
            catch (IOException)
            {
            }
        };

        await ExecuteAsync(server.ConnectionString(), $"CREATE DATABASE {Template}");
        var templateConnection = server.ConnectionString(Template) + ";Pooling=false";
        await using (var dataSource = NpgsqlDataSource.Create(templateConnection))
        {
            await new Migrator(dataSource, NullLogger<Migrator>.Instance).MigrateAsync();
        }
        await ExecuteAsync(templateConnection, TestTables.Sql);
        return new PostgresCluster(server);
    }

    // A test run that was killed (or whose exit handler was cut short) leaves its cluster directory behind.
    private static void RemoveLeftovers()
    {
        foreach (var leftover in Directory.GetDirectories(Path.GetTempPath(), "runtime-tests-*"))
        {
            if (int.TryParse(Path.GetFileName(leftover)["runtime-tests-".Length..], out var pid) && !Runtime.Execution.Processes.Signals.IsAlive(pid))
            {
                try
                {
                    Directory.Delete(leftover, recursive: true);
                }
                catch (Exception e) when (e is IOException or UnauthorizedAccessException)
                {
                }
            }
        }
    }

    private static async Task ExecuteAsync(string connectionString, string sql)
    {
        await using var connection = new NpgsqlConnection(connectionString + ";Pooling=false");
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync();
    }
}

/// <summary>Tables of the grains that exist only in the tests.</summary>
internal static class TestTables
{
    public const string Sql = """
        CREATE TABLE test_counters (
            key        text PRIMARY KEY,
            version    bigint      NOT NULL,
            state      jsonb       NOT NULL,
            created_at timestamptz NOT NULL DEFAULT now(),
            updated_at timestamptz NOT NULL DEFAULT now());
        """;
}
