using System.Diagnostics;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using Runtime.Execution.Processes;
using Runtime.Grains.Hosting;
using Runtime.Grains.Identity;

namespace Runtime.Benchmarks.Apps;

/// <summary>
/// Runtime as the AppHost runs it: PostgreSQL (fsync on), one silo and the Api as child processes of
/// this build's configuration, with the default workspace's Owner token. Their output goes to
/// <c>artifacts/benchmarks/apps-system.log</c>.
/// </summary>
internal sealed class BenchSystem : IAsyncDisposable
{
    public const string Python = "/usr/bin/python3";

    private readonly BenchDatabase _database;
    private readonly List<ChildProcess> _children;
    private readonly StreamWriter _log;
    private readonly string _dataDirectory;

    private BenchSystem(BenchDatabase database, List<ChildProcess> children, StreamWriter log, string dataDirectory, string apiUrl, string logPath)
    {
        _database = database;
        _children = children;
        _log = log;
        _dataDirectory = dataDirectory;
        ApiUrl = apiUrl;
        LogPath = logPath;
        Database = NpgsqlDataSource.Create(database.ConnectionString);
        Api = new HttpClient { BaseAddress = new Uri(apiUrl), Timeout = TimeSpan.FromSeconds(30) };
    }

    public string ApiUrl { get; }

    /// <summary>The Api process, for its CPU time.</summary>
    public int ApiPid => _children[^1].Pid;

    /// <summary>The default workspace's Owner token, which the Api made on the new database.</summary>
    public string Token { get; private set; } = "";

    /// <summary>A client of the Api with the Owner token.</summary>
    public HttpClient Api { get; }

    /// <summary>The system's database, for reading what the grains and the agent recorded.</summary>
    public NpgsqlDataSource Database { get; }

    public string PostgresVersion => _database.Version;

    /// <summary>Where the silo's and the Api's output is written.</summary>
    public string LogPath { get; }

    public static async Task<BenchSystem> StartAsync()
    {
        var database = await BenchDatabase.StartAsync();
        var dataDirectory = Directory.CreateTempSubdirectory("runtime-bench-apps-").FullName;
        var logPath = Artifacts.PathOf("apps-system.log");
        var log = new StreamWriter(logPath) { AutoFlush = true };
        var output = new ConsoleOutput(log);

        var environment = new Dictionary<string, string>
        {
            ["ConnectionStrings__runtime"] = database.ConnectionString,
            ["RUNTIME_PARENT_PID"] = Environment.ProcessId.ToString(),
            ["Runtime__DataDirectory"] = dataDirectory,
            ["Runtime__Secrets__MasterKey"] = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)),
            ["Runtime__Git__AllowLocalRepositories"] = "true",
            ["Runtime__Agent__Python"] = Python,
        };
        var apiUrl = $"http://127.0.0.1:{FreePort.Next()}";
        var children = new List<ChildProcess>
        {
            Start("silo-1", "Runtime.Silo.dll", output, new(environment)
            {
                ["Runtime__Silo__Name"] = "silo-1",
                ["ASPNETCORE_URLS"] = $"http://127.0.0.1:{FreePort.Next()}",
            }),
            Start("api", "Runtime.Api.dll", output, new(environment) { ["ASPNETCORE_URLS"] = apiUrl }),
        };
        var system = new BenchSystem(database, children, log, dataDirectory, apiUrl, logPath);
        try
        {
            await system.WaitHealthyAsync();
            system.Token = (await File.ReadAllTextAsync(Path.Combine(dataDirectory, "owner-token"))).Trim();
            system.Api.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", system.Token);
        }
        catch
        {
            await system.DisposeAsync();
            throw;
        }
        return system;
    }

    private static ChildProcess Start(string name, string dll, ConsoleOutput output, Dictionary<string, string> environment)
    {
        var path = Path.Combine(AppContext.BaseDirectory, dll);
        if (!File.Exists(path))
            throw new FileNotFoundException($"{dll} is missing next to the benchmark ({AppContext.BaseDirectory}); rebuild.", path);
        return ChildProcess.Start(name, [DotnetHost.Path, path], environment, output);
    }

    private async Task WaitHealthyAsync()
    {
        var clock = Stopwatch.StartNew();
        var exited = Task.WhenAny(_children.Select(c => c.Exited));
        while (clock.Elapsed < TimeSpan.FromSeconds(120))
        {
            if (exited.IsCompleted)
                throw new InvalidOperationException($"A Runtime host exited while starting; its output is in {LogPath}");
            try
            {
                using var response = await Api.GetAsync("/health");
                if (response.IsSuccessStatusCode)
                    return;
            }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
            {
            }
            await Task.Delay(100);
        }
        throw new TimeoutException($"The Api did not answer /health within 120 s; its output is in {LogPath}");
    }

    public async ValueTask DisposeAsync()
    {
        // The Api first, then the silo (it stops the apps it runs), then the database.
        for (var i = _children.Count - 1; i >= 0; i--)
            await _children[i].DisposeAsync();
        Api.Dispose();
        await Database.DisposeAsync();
        await _database.DisposeAsync();
        await _log.DisposeAsync();
        try
        {
            Directory.Delete(_dataDirectory, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
