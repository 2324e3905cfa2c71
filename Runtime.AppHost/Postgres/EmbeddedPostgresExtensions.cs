using System.Security.Cryptography;
using Aspire.Hosting;
using Aspire.Hosting.ApplicationModel;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Npgsql;
using Runtime.Execution.Files;
using Runtime.Execution.Processes;

namespace Runtime.AppHost.Postgres;

/// <summary>
/// The AppHost's own PostgreSQL: a cluster in <c>&lt;data&gt;/postgres</c>, durable (fsync on), on a free
/// loopback port, with a password kept in <c>&lt;data&gt;/postgres.password</c> (0600). <c>initdb</c> runs
/// first, to completion, when the cluster does not exist yet; the server is healthy once Runtime's
/// database exists and answers.
/// </summary>
public static class EmbeddedPostgresExtensions
{
    public const string DatabaseName = "runtime";
    public const string PasswordFileName = "postgres.password";

    public static async Task<IResourceBuilder<PostgresServerResource>> AddEmbeddedPostgresAsync(
        this IDistributedApplicationBuilder builder, string name, string dataDirectory, string? binDirectory)
    {
        AllowTraversal(dataDirectory);
        var password = PrivateFile.ReadOrCreate(Path.Combine(dataDirectory, PasswordFileName),
            () => Convert.ToHexString(RandomNumberGenerator.GetBytes(24)).ToLowerInvariant());
        var layout = await PostgresLayout.PrepareAsync(new PostgresOptions
        {
            Directory = Path.Combine(dataDirectory, "postgres"),
            Password = password,
            BinDirectory = binDirectory,
            Fsync = true,
        });

        var port = FreePort.Next();
        var connectionString = new NpgsqlConnectionStringBuilder
        {
            Host = "127.0.0.1", Port = port, Username = "postgres", Password = password, Database = DatabaseName,
        }.ConnectionString;

        // setpriv comes first when root: it execs, so the orchestrator's signals reach PostgreSQL itself.
        var command = layout.ServerCommand(port);
        var server = builder.AddResource(new PostgresServerResource(name, command[0], layout.Directory, connectionString))
            .WithArgs(command.Skip(1).ToArray<object>());
        var check = $"{name}-ready";
        builder.Services.AddHealthChecks().AddAsyncCheck(check, ct => DatabaseReadyAsync(connectionString, ct));
        server.WithHealthCheck(check);

        if (layout.NeedsInit)
        {
            var initdb = layout.InitCommand();
            var init = builder.AddExecutable($"{name}-init", initdb[0], layout.Directory, initdb.Skip(1).ToArray<object>());
            server.WaitForCompletion(init);
            // The password initdb read is kept in postgres.password; its copy for initdb goes once the server runs.
            builder.Eventing.Subscribe<ResourceReadyEvent>(server.Resource, (_, _) =>
            {
                layout.DeletePasswordFile();
                return Task.CompletedTask;
            });
        }
        return server;
    }

    // Healthy once Runtime's database accepts connections; creates it on first start.
    private static async Task<HealthCheckResult> DatabaseReadyAsync(string connectionString, CancellationToken ct)
    {
        var server = new NpgsqlConnectionStringBuilder(connectionString) { Database = "postgres", Pooling = false, Timeout = 2 };
        try
        {
            await using var connection = new NpgsqlConnection(server.ConnectionString);
            await connection.OpenAsync(ct);
            await using var exists = new NpgsqlCommand("SELECT 1 FROM pg_database WHERE datname = $1", connection);
            exists.Parameters.Add(new NpgsqlParameter { Value = DatabaseName });
            if (await exists.ExecuteScalarAsync(ct) is null)
            {
                await using var create = new NpgsqlCommand($"CREATE DATABASE {DatabaseName}", connection);
                await create.ExecuteNonQueryAsync(ct);
            }
            return HealthCheckResult.Healthy();
        }
        catch (Exception e) when (e is NpgsqlException or TimeoutException or System.Net.Sockets.SocketException)
        {
            return HealthCheckResult.Unhealthy($"PostgreSQL does not answer yet: {e.Message}");
        }
    }

    // As root, PostgreSQL runs as an unprivileged user that must pass through the data directory to reach
    // its cluster. Search permission only: the files here (token, password) stay readable by their owner alone.
    private static void AllowTraversal(string directory)
    {
        if (!Signals.IsRoot)
            return;
        var mode = File.GetUnixFileMode(directory);
        File.SetUnixFileMode(directory, mode | UnixFileMode.GroupExecute | UnixFileMode.OtherExecute);
    }
}
