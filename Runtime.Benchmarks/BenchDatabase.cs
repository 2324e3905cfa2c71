using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;
using Runtime.AppHost.Postgres;
using Runtime.Grains.Storage;

namespace Runtime.Benchmarks;

/// <summary>A PostgreSQL server started the way the AppHost starts its own (fsync on), in a throwaway directory.</summary>
internal sealed class BenchDatabase : IAsyncDisposable
{
    private readonly string _directory;

    private BenchDatabase(PostgresServer server, string directory, string version)
    {
        Server = server;
        _directory = directory;
        Version = version;
    }

    public PostgresServer Server { get; }

    public string Version { get; }

    public string ConnectionString => Server.ConnectionString("bench");

    public static async Task<BenchDatabase> StartAsync()
    {
        var directory = Path.Combine(Path.GetTempPath(), $"runtime-bench-{Environment.ProcessId}");
        var server = await PostgresServer.StartAsync(new PostgresOptions
        {
            Directory = directory,
            Fsync = true,
            Settings = new Dictionary<string, string> { ["max_connections"] = "300" },
        });
        await using (var admin = new NpgsqlConnection(server.ConnectionString()))
        {
            await admin.OpenAsync();
            await using var create = new NpgsqlCommand("CREATE DATABASE bench", admin);
            await create.ExecuteNonQueryAsync();
        }
        await using var dataSource = NpgsqlDataSource.Create(server.ConnectionString("bench"));
        await new Migrator(dataSource, NullLogger<Migrator>.Instance).MigrateAsync();
        await using (var table = dataSource.CreateCommand(BareTransaction.TableSql))
            await table.ExecuteNonQueryAsync();
        await using var versionCommand = dataSource.CreateCommand("SHOW server_version");
        var version = (string)(await versionCommand.ExecuteScalarAsync())!;
        return new BenchDatabase(server, directory, version);
    }

    public async ValueTask DisposeAsync()
    {
        await Server.DisposeAsync();
        try
        {
            Directory.Delete(_directory, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
