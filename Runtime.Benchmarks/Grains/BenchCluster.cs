using System.Diagnostics;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Npgsql;
using Orleans;
using Orleans.Configuration;
using Orleans.Hosting;
using Runtime.Execution.Processes;
using Runtime.Grains.Cluster;

namespace Runtime.Benchmarks.Grains;

/// <summary>
/// Orleans silos as child processes of the benchmark (<see cref="BenchSilo"/>) and one Orleans client
/// in this process; the silos' output goes to <c>artifacts/benchmarks/grains-silos.log</c>.
/// </summary>
internal sealed class BenchCluster : IAsyncDisposable
{
    // Orleans' membership status for a silo that serves.
    private const int Active = 3;

    private readonly string _connectionString;
    private readonly NpgsqlDataSource _database;
    private readonly ConsoleOutput _output;
    private readonly List<(ChildProcess Process, int Port)> _silos = [];
    private IHost? _client;
    private int _started;

    public BenchCluster(string connectionString, ConsoleOutput output)
    {
        _connectionString = connectionString;
        _database = NpgsqlDataSource.Create(connectionString);
        _output = output;
    }

    public IClusterClient Client => _client?.Services.GetRequiredService<IClusterClient>()
        ?? throw new InvalidOperationException("Call ConnectAsync first.");

    /// <summary>The silos started and not killed, with their silo ports.</summary>
    public IReadOnlyList<(ChildProcess Process, int Port)> Silos => _silos;

    /// <summary>Starts a silo process and waits until the membership table shows it active.</summary>
    public async Task<TimeSpan> StartSiloAsync()
    {
        var started = Stopwatch.StartNew();
        var port = FreePort.Next();
        var name = $"bench-silo-{++_started}";
        var dll = Path.Combine(AppContext.BaseDirectory, "Runtime.Benchmarks.dll");
        var process = ChildProcess.Start(name, [DotnetHost.Path, dll, BenchSilo.Mode], BenchSilo.Environment(_connectionString, name, port), _output);
        _silos.Add((process, port));
        await WaitUntilAsync(async () => await ActiveAsync(port), TimeSpan.FromSeconds(60), $"{name} active");
        return started.Elapsed;
    }

    /// <summary>SIGKILL to the silo whose port <paramref name="port"/> is; it is forgotten at once.</summary>
    public async Task KillAsync(int port)
    {
        var index = _silos.FindIndex(s => s.Port == port);
        var (process, _) = _silos[index];
        _silos.RemoveAt(index);
        Signals.Send(process.Pid, Signals.SigKill);
        await process.Exited;
        await process.DisposeAsync();
    }

    /// <summary>Stops every silo gracefully (the client first, so it does not retry against them).</summary>
    public async Task StopSilosAsync()
    {
        await StopClientAsync();
        await Task.WhenAll(_silos.Select(s => s.Process.DisposeAsync().AsTask()));
        _silos.Clear();
    }

    /// <summary>Connects the Orleans client; the gateway list is refreshed every second so a replacement silo is used soon.</summary>
    public async Task ConnectAsync()
    {
        if (_client is not null)
            return;
        var builder = Host.CreateApplicationBuilder();
        builder.Configuration.AddClusterDefaults(silo: false);
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["ConnectionStrings:runtime"] = _connectionString,
            ["Logging:LogLevel:Default"] = "Warning",
            // A dead gateway's connection errors are expected during failover; the benchmark reports its own figures.
            ["Logging:LogLevel:Orleans"] = "None",
        });
        builder.UseOrleansClient();
        builder.Services.Configure<GatewayOptions>(o => o.GatewayListRefreshPeriod = TimeSpan.FromSeconds(1));
        _client = builder.Build();
        await _client.StartAsync();
    }

    /// <summary>The cluster's database, for reading what the grains stored.</summary>
    public NpgsqlDataSource Database => _database;

    public async Task WaitForActiveSilosAsync(int count) =>
        await WaitUntilAsync(async () => await ScalarAsync<long>("SELECT count(*) FROM orleans_membership WHERE status = $1", Active) == count,
            TimeSpan.FromSeconds(60), $"{count} active silos");

    public async ValueTask DisposeAsync()
    {
        await StopSilosAsync();
        await _database.DisposeAsync();
    }

    private async Task StopClientAsync()
    {
        if (_client is null)
            return;
        await _client.StopAsync();
        _client.Dispose();
        _client = null;
    }

    private async Task<bool> ActiveAsync(int port) =>
        await ScalarAsync<long>("SELECT count(*) FROM orleans_membership WHERE port = $1 AND status = $2", port, Active) == 1;

    private async Task<T> ScalarAsync<T>(string sql, params object[] parameters)
    {
        await using var command = _database.CreateCommand(sql);
        foreach (var parameter in parameters)
            command.Parameters.Add(new NpgsqlParameter { Value = parameter });
        return (T)(await command.ExecuteScalarAsync())!;
    }

    private static async Task WaitUntilAsync(Func<Task<bool>> condition, TimeSpan timeout, string what)
    {
        var deadline = Stopwatch.StartNew();
        while (!await condition())
        {
            if (deadline.Elapsed > timeout)
                throw new TimeoutException($"Not {what} after {timeout.TotalSeconds:0} s (see artifacts/benchmarks/grains-silos.log).");
            await Task.Delay(50);
        }
    }
}
