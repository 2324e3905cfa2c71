using System.Diagnostics;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Runtime.AppHost.Postgres;
using Runtime.AppHost.Processes;
using Runtime.Execution.Processes;
using Runtime.Grains.Hosting;
using Runtime.Grains.Storage;

namespace Runtime.AppHost.Hosting;

/// <summary>
/// Runtime on one machine: PostgreSQL (embedded unless <c>ConnectionStrings__runtime</c> is set),
/// migrations, then the silos and the Api as child processes (the Api makes the first Owner token). Stops them
/// in reverse order, PostgreSQL last.
/// </summary>
public sealed class LocalRuntime(AppHostOptions options, ConsoleOutput output)
{
    public const string Source = "apphost";
    public const string TokenFileName = "owner-token";

    private static readonly TimeSpan ChildGrace = TimeSpan.FromSeconds(15);

    /// <summary>Runs until <paramref name="stopping"/> fires (0) or a child exits on its own (1).</summary>
    public async Task<int> RunAsync(CancellationToken stopping)
    {
        var dataDirectory = Path.GetFullPath(options.DataDirectory);
        Directory.CreateDirectory(dataDirectory);

        PostgresServer? postgres = null;
        var children = new List<ChildProcess>();
        try
        {
            var connectionString = Environment.GetEnvironmentVariable("ConnectionStrings__" + RuntimeDatabase.ConnectionStringName);
            if (string.IsNullOrWhiteSpace(connectionString))
            {
                Say($"Starting PostgreSQL in {Path.Combine(dataDirectory, "postgres")}");
                (postgres, connectionString) = await EmbeddedDatabase.StartAsync(
                    dataDirectory, options.PostgresBin, line => output.Line("postgres", line), stopping);
                Say($"PostgreSQL is listening on 127.0.0.1:{postgres.Port} (pid {postgres.Pid})");
            }
            else
            {
                Say("Using the PostgreSQL server named by ConnectionStrings__runtime; starting none");
            }

            var firstStart = await PrepareDatabaseAsync(connectionString, stopping);
            var tokenFile = Path.Combine(dataDirectory, TokenFileName);
            var port = ChoosePort();
            var apiUrl = $"http://127.0.0.1:{port}";
            var environment = new Dictionary<string, string>
            {
                ["ConnectionStrings__" + RuntimeDatabase.ConnectionStringName] = connectionString,
                ["RUNTIME_PARENT_PID"] = Environment.ProcessId.ToString(),
                ["Runtime__DataDirectory"] = dataDirectory,
                // Where runs post their pipeline reports.
                ["Runtime__Api__Url"] = apiUrl,
                // A fresh Orleans cluster per start: rows of silos that died with the last run would
                // otherwise hold the new silos back while they try to reach them (28-60 s).
                ["Orleans__ClusterId"] = $"runtime-{DateTime.UtcNow:yyyyMMddHHmmss}-{Random.Shared.Next(0x10000):x4}",
            };

            for (var i = 1; i <= options.Silos; i++)
            {
                var name = $"silo-{i}";
                children.Add(StartHost(name, "Runtime.Silo.dll", new(environment)
                {
                    ["Runtime__Silo__Name"] = name,
                    ["ASPNETCORE_URLS"] = $"http://127.0.0.1:{FreePort.Next()}",
                }));
            }
            var api = StartHost("api", "Runtime.Api.dll", new(environment) { ["ASPNETCORE_URLS"] = apiUrl });
            children.Add(api);

            var exited = Task.WhenAny(children.Select(c => c.Exited));
            if (!await WaitHealthyAsync(apiUrl, exited, stopping))
                return await FailedAsync(children, exited);

            Console.WriteLine();
            Console.WriteLine($"  Runtime is up: {apiUrl}  (OpenAPI: {apiUrl}/openapi/v1.json, health: {apiUrl}/health)");
            // The Api created the default workspace and wrote its Owner token, on a database that had none.
            Console.WriteLine(firstStart && File.Exists(tokenFile)
                ? $"  Owner token (shown once, also saved to {tokenFile}): {File.ReadAllText(tokenFile).Trim()}"
                : $"  Owner token: in {tokenFile}");
            Console.WriteLine("  Press Ctrl+C to stop.");
            Console.WriteLine();

            var stopped = new TaskCompletionSource();
            await using var registration = stopping.Register(() => stopped.TrySetResult());
            if (await Task.WhenAny(exited, stopped.Task) == exited)
                return await FailedAsync(children, exited);

            Say("Stopping");
            return 0;
        }
        catch (OperationCanceledException) when (stopping.IsCancellationRequested)
        {
            Say("Stopped while starting");
            return 0;
        }
        finally
        {
            // The Api first (it takes requests), then the silos, then the database they all use.
            children.Reverse();
            foreach (var child in children)
                await child.StopAsync(ChildGrace);
            if (postgres is not null)
            {
                await postgres.StopAsync(TimeSpan.FromSeconds(30));
                Say("PostgreSQL stopped");
            }
        }
    }

    // Migrations are done here, once, before any child starts; true when the database has no workspace
    // yet, so that the Api, which creates the first one through the grains, writes a new Owner token.
    private async Task<bool> PrepareDatabaseAsync(string connectionString, CancellationToken ct)
    {
        var configuration = new ConfigurationBuilder()
            .AddInMemoryCollection(new Dictionary<string, string?> { ["ConnectionStrings:" + RuntimeDatabase.ConnectionStringName] = connectionString })
            .Build();
        var services = new ServiceCollection()
            .AddSingleton<IConfiguration>(configuration)
            .AddLogging(b => b.AddSimpleConsole(o => { o.SingleLine = true; o.UseUtcTimestamp = true; o.TimestampFormat = "yyyy-MM-ddTHH:mm:ss.fffZ "; }))
            .AddRuntimeGrains("runtime-apphost");
        await using var provider = services.BuildServiceProvider();

        await provider.GetRequiredService<Migrator>().MigrateAsync(ct);
        await using var count = provider.GetRequiredService<Npgsql.NpgsqlDataSource>().CreateCommand("SELECT count(*) FROM workspaces");
        return (long)(await count.ExecuteScalarAsync(ct))! == 0;
    }

    private int ChoosePort()
    {
        if (options.Port is { } port)
            return port == 0 ? FreePort.Next() : port;
        if (FreePort.IsFree(AppHostOptions.DefaultPort))
            return AppHostOptions.DefaultPort;
        var free = FreePort.Next();
        Say($"Port {AppHostOptions.DefaultPort} is taken; the Api uses {free} instead (choose one with --port)");
        return free;
    }

    private ChildProcess StartHost(string name, string dll, Dictionary<string, string> environment)
    {
        var path = Path.Combine(AppContext.BaseDirectory, dll);
        if (!File.Exists(path))
            throw new FileNotFoundException($"{dll} is missing next to the AppHost ({AppContext.BaseDirectory}); rebuild the solution.", path);
        var child = ChildProcess.Start(name, [DotnetHost.Path, path], environment, output);
        Say($"Started {name} (pid {child.Pid})");
        return child;
    }

    private async Task<bool> WaitHealthyAsync(string apiUrl, Task exited, CancellationToken ct)
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(2) };
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < TimeSpan.FromSeconds(120) && !exited.IsCompleted)
        {
            try
            {
                using var response = await http.GetAsync($"{apiUrl}/health", ct);
                if (response.IsSuccessStatusCode)
                    return true;
            }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException && !ct.IsCancellationRequested)
            {
            }
            await Task.Delay(100, ct);
        }
        if (!exited.IsCompleted)
            Say($"The Api did not become healthy at {apiUrl}/health within 120 s; its output is above");
        return false;
    }

    private async Task<int> FailedAsync(List<ChildProcess> children, Task<Task<int>> exited)
    {
        if (exited.IsCompleted)
        {
            var first = await exited;
            var child = children.First(c => c.Exited == first);
            Say($"{child.Name} exited with code {await child.Exited}; stopping everything (its output is above)");
        }
        return 1;
    }

    private void Say(string message) => output.Line(Source, message);
}
