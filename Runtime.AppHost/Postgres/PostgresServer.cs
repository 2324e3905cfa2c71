using Runtime.Execution.Processes;
using System.Diagnostics;
using Npgsql;
using Runtime.AppHost.Processes;

namespace Runtime.AppHost.Postgres;

/// <summary>
/// A PostgreSQL server run from the machine's binaries as a child process: initialised on first use,
/// started on a loopback port, stopped with a fast shutdown. As root it runs as an unprivileged user,
/// since initdb and postgres refuse to run as root.
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
        var bin = PostgresBinaries.Find(options.BinDirectory);
        var directory = Path.GetFullPath(options.Directory);
        options = options with { Directory = directory };
        var data = Path.Combine(directory, "data");
        var runAs = Signals.IsRoot ? options.ServiceUser : null;

        Directory.CreateDirectory(directory);
        if (runAs is not null)
            await PrepareForServiceUserAsync(directory, runAs, cancellationToken);

        if (!File.Exists(Path.Combine(data, "PG_VERSION")))
            await InitAsync(bin, data, options, runAs, cancellationToken);
        else
            await StopOrphanAsync(bin, data, runAs, cancellationToken);

        var port = options.Port ?? FreePort.Next();
        var arguments = new List<string>
        {
            Path.Combine(bin, "postgres"), "-D", data, "-p", port.ToString(),
            "-c", "listen_addresses=127.0.0.1",
            "-c", "unix_socket_directories=",
        };
        if (!options.Fsync)
            arguments.AddRange(["-c", "fsync=off", "-c", "synchronous_commit=off", "-c", "full_page_writes=off"]);
        foreach (var (name, value) in options.Settings)
            arguments.AddRange(["-c", $"{name}={value}"]);

        // setsid: its own session, so a Ctrl+C in the terminal reaches the AppHost, which stops the
        // server last, instead of reaching the server directly.
        var process = Start(["setsid", .. AsUser(runAs), .. arguments], output);
        var server = new PostgresServer(process, options, port);
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

    private static async Task InitAsync(string bin, string data, PostgresOptions options, string? runAs, CancellationToken ct)
    {
        var arguments = new List<string>
        {
            Path.Combine(bin, "initdb"), "-D", data, "-U", "postgres", "-E", "UTF8", "--no-locale",
            "-A", options.Password is null ? "trust" : "scram-sha-256",
        };
        if (!options.Fsync)
            arguments.Add("--no-sync");
        string? passwordFile = null;
        if (options.Password is not null)
        {
            // initdb reads the password from a file; it must be readable by the user initdb runs as.
            passwordFile = Path.Combine(options.Directory, ".pwfile");
            Runtime.Execution.Files.PrivateFile.Write(passwordFile, options.Password + "\n");
            if (runAs is not null)
                await RunAsync(["chown", runAs, passwordFile], ct);
            arguments.Add("--pwfile=" + passwordFile);
        }
        try
        {
            await RunAsync([.. AsUser(runAs), .. arguments], ct);
        }
        finally
        {
            if (passwordFile is not null)
                File.Delete(passwordFile);
        }
    }

    // A previous run killed without a clean stop (SIGKILL of the AppHost) can leave its server running.
    private static async Task StopOrphanAsync(string bin, string data, string? runAs, CancellationToken ct)
    {
        var pidFile = Path.Combine(data, "postmaster.pid");
        if (!File.Exists(pidFile))
            return;
        var lines = await File.ReadAllLinesAsync(pidFile, ct);
        if (lines.Length > 0 && int.TryParse(lines[0], out var pid) && Signals.IsAlive(pid))
            await RunAsync([.. AsUser(runAs), Path.Combine(bin, "pg_ctl"), "-D", data, "-m", "fast", "-w", "stop"], ct);
    }

    private static async Task PrepareForServiceUserAsync(string directory, string user, CancellationToken ct)
    {
        try
        {
            await RunAsync(["id", "-u", user], ct);
        }
        catch (PostgresException)
        {
            throw new PostgresException(
                $"Running as root, PostgreSQL needs an unprivileged user '{user}' to run as, and there is none. " +
                "Create it (apt-get install postgresql creates one) or run Runtime as a normal user.");
        }
        await RunAsync(["chown", "-R", $"{user}:", directory], ct);
        try
        {
            await RunAsync([.. AsUser(user), "test", "-w", directory], ct);
        }
        catch (PostgresException)
        {
            throw new PostgresException(
                $"User '{user}' cannot reach {directory}: one of its parent folders is closed to other users (e.g. /root). " +
                "Choose a data directory it can reach with --data-dir, such as /var/lib/runtime.");
        }
    }

    private static string[] AsUser(string? user) =>
        user is null ? [] : ["setpriv", $"--reuid={user}", $"--regid={user}", "--init-groups", "--"];

    private static Process Start(IReadOnlyList<string> command, Action<string>? output)
    {
        var info = new ProcessStartInfo(command[0]) { RedirectStandardOutput = true, RedirectStandardError = true, RedirectStandardInput = true };
        foreach (var argument in command.Skip(1))
            info.ArgumentList.Add(argument);
        var process = new Process { StartInfo = info, EnableRaisingEvents = true };
        process.OutputDataReceived += (_, e) => { if (e.Data is not null) output?.Invoke(e.Data); };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) output?.Invoke(e.Data); };
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return process;
    }

    private static async Task RunAsync(IReadOnlyList<string> command, CancellationToken ct)
    {
        var lines = new List<string>();
        using var process = Start(command, line => { lock (lines) lines.Add(line); });
        await process.WaitForExitAsync(ct);
        if (process.ExitCode != 0)
            throw new PostgresException($"`{string.Join(' ', command)}` failed with exit code {process.ExitCode}: {string.Join(Environment.NewLine, lines.TakeLast(20))}");
    }
}
