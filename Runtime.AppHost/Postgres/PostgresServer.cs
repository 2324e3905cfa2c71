using Runtime.Execution.Processes;
using System.Diagnostics;
using Npgsql;

namespace Runtime.AppHost.Postgres;

/// <summary>
/// A PostgreSQL server run from the machine's binaries as a child process of this one (tests and
/// benchmarks): initialised on first use, started on a loopback port, stopped with a fast shutdown.
/// The AppHost runs the same commands (<see cref="PostgresLayout"/>) as Aspire executable resources.
/// </summary>
public sealed class PostgresServer : IAsyncDisposable
{
    private readonly Process _process;
    private readonly PostgresOptions _options;

    private PostgresServer(Process process, PostgresOptions options, int port)
    {
        _process = process;
        _options = options;
        Port = port;
    }

    public int Port { get; }

    /// <summary>The postmaster's process id.</summary>
    public int Pid => _process.Id;

    public string DataDirectory => Path.Combine(_options.Directory, "data");

    /// <summary>A connection string for <paramref name="database"/> as the superuser.</summary>
    public string ConnectionString(string database = "postgres") => new NpgsqlConnectionStringBuilder
    {
        Host = "127.0.0.1",
        Port = Port,
        Username = "postgres",
        Password = _options.Password,
        Database = database,
    }.ConnectionString;

    /// <summary>Initialises the cluster if needed, starts the server and waits until it accepts connections.</summary>
    public static async Task<PostgresServer> StartAsync(PostgresOptions options, Action<string>? output = null, CancellationToken cancellationToken = default)
    {
        var layout = await PostgresLayout.PrepareAsync(options, cancellationToken);
        if (layout.NeedsInit)
        {
            try
            {
                await ProcessRun.RunAsync(layout.InitCommand(), cancellationToken);
            }
            finally
            {
                layout.DeletePasswordFile();
            }
        }

        var port = options.Port ?? FreePort.Next();
        // setsid: its own session, so that a Ctrl+C in the terminal reaches the process that started the
        // server, which stops it last, instead of reaching the server directly.
        var process = ProcessRun.Start(["setsid", .. layout.ServerCommand(port)], output);
        var server = new PostgresServer(process, layout.Options, port);
        await server.WaitReadyAsync(cancellationToken);
        return server;
    }

    /// <summary>Fast shutdown (SIGINT): ends sessions, checkpoints, exits; escalates if it takes longer than <paramref name="grace"/>.</summary>
    public async Task StopAsync(TimeSpan grace)
    {
        if (_process.HasExited)
            return;
        Signals.Send(_process.Id, Signals.SigInt);
        if (await WaitExitAsync(grace))
            return;
        Signals.Send(_process.Id, Signals.SigQuit);
        if (await WaitExitAsync(TimeSpan.FromSeconds(5)))
            return;
        _process.Kill(entireProcessTree: true);
        await _process.WaitForExitAsync();
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync(TimeSpan.FromSeconds(10));
        _process.Dispose();
    }

    private async Task<bool> WaitExitAsync(TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        try
        {
            await _process.WaitForExitAsync(cts.Token);
            return true;
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }

    private async Task WaitReadyAsync(CancellationToken ct)
    {
        var deadline = Stopwatch.StartNew();
        Exception? last = null;
        while (deadline.Elapsed < TimeSpan.FromSeconds(60))
        {
            if (_process.HasExited)
                throw new PostgresException($"PostgreSQL exited with code {_process.ExitCode} while starting; its output is above.");
            try
            {
                await using var connection = new NpgsqlConnection(ConnectionString() + ";Timeout=2;Pooling=false");
                await connection.OpenAsync(ct);
                return;
            }
            catch (Exception e) when (e is NpgsqlException or TimeoutException or System.Net.Sockets.SocketException)
            {
                last = e;
                await Task.Delay(50, ct);
            }
        }
        throw new PostgresException($"PostgreSQL did not accept connections on port {Port} within 60 s: {last?.Message}");
    }
}
