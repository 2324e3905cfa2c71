using Runtime.Execution.Processes;

namespace Runtime.AppHost.Postgres;

/// <summary>
/// Where a PostgreSQL cluster lives and how its programs are invoked: the binaries, the directory
/// (<c>data/</c> inside it), and the unprivileged user they run as when this process is root, since
/// initdb and postgres refuse to run as root. The AppHost's executable resources and
/// <see cref="PostgresServer"/> both start PostgreSQL from these commands.
/// </summary>
public sealed record PostgresLayout(string Bin, string Directory, string? RunAs, PostgresOptions Options)
{
    public string Data => Path.Combine(Directory, "data");

    /// <summary>Whether <c>initdb</c> must run before the server can start.</summary>
    public bool NeedsInit => !File.Exists(Path.Combine(Data, "PG_VERSION"));

    /// <summary>Where initdb reads the superuser's password; deleted once the cluster exists.</summary>
    public string PasswordFile => Path.Combine(Directory, ".pwfile");

    /// <summary>
    /// Finds the binaries, creates the directory and hands it to the service user, and stops a server
    /// that a previous run left behind (a SIGKILL of the process that started it). Quick: no server starts here.
    /// </summary>
    public static async Task<PostgresLayout> PrepareAsync(PostgresOptions options, CancellationToken ct = default)
    {
        var bin = PostgresBinaries.Find(options.BinDirectory);
        var directory = Path.GetFullPath(options.Directory);
        var layout = new PostgresLayout(bin, directory, Signals.IsRoot ? options.ServiceUser : null, options with { Directory = directory });

        System.IO.Directory.CreateDirectory(directory);
        if (layout.RunAs is not null)
            await layout.HandToServiceUserAsync(ct);
        if (layout.NeedsInit)
            await layout.WritePasswordFileAsync(ct);
        else
            await layout.StopOrphanAsync(ct);
        return layout;
    }

    /// <summary><c>initdb</c>: UTF-8, no locale, scram-sha-256 with the password file (trust without a password).</summary>
    public IReadOnlyList<string> InitCommand()
    {
        var command = new List<string>(AsUser())
        {
            Path.Combine(Bin, "initdb"), "-D", Data, "-U", "postgres", "-E", "UTF8", "--no-locale",
            "-A", Options.Password is null ? "trust" : "scram-sha-256",
        };
        if (!Options.Fsync)
            command.Add("--no-sync");
        if (Options.Password is not null)
            command.Add("--pwfile=" + PasswordFile);
        return command;
    }

    /// <summary>The server on a loopback port, with no Unix socket, and fsync as the options say.</summary>
    public IReadOnlyList<string> ServerCommand(int port)
    {
        var command = new List<string>(AsUser())
        {
            Path.Combine(Bin, "postgres"), "-D", Data, "-p", port.ToString(System.Globalization.CultureInfo.InvariantCulture),
            "-c", "listen_addresses=127.0.0.1",
            "-c", "unix_socket_directories=",
        };
        if (!Options.Fsync)
            command.AddRange(["-c", "fsync=off", "-c", "synchronous_commit=off", "-c", "full_page_writes=off"]);
        foreach (var (name, value) in Options.Settings)
            command.AddRange(["-c", $"{name}={value}"]);
        return command;
    }

    /// <summary>Removes the password file initdb read: the password itself is kept in the caller's own 0600 file.</summary>
    public void DeletePasswordFile() => File.Delete(PasswordFile);

    private string[] AsUser() =>
        RunAs is null ? [] : ["setpriv", $"--reuid={RunAs}", $"--regid={RunAs}", "--init-groups", "--"];

    private async Task WritePasswordFileAsync(CancellationToken ct)
    {
        if (Options.Password is null)
            return;
        // initdb reads the password from a file; it must be readable by the user initdb runs as.
        Runtime.Execution.Files.PrivateFile.Write(PasswordFile, Options.Password + "\n");
        if (RunAs is not null)
            await ProcessRun.RunAsync(["chown", RunAs, PasswordFile], ct);
    }

    private async Task StopOrphanAsync(CancellationToken ct)
    {
        var pidFile = Path.Combine(Data, "postmaster.pid");
        if (!File.Exists(pidFile))
            return;
        var lines = await File.ReadAllLinesAsync(pidFile, ct);
        if (lines.Length > 0 && int.TryParse(lines[0], out var pid) && Signals.IsAlive(pid))
            await ProcessRun.RunAsync([.. AsUser(), Path.Combine(Bin, "pg_ctl"), "-D", Data, "-m", "fast", "-w", "stop"], ct);
    }

    private async Task HandToServiceUserAsync(CancellationToken ct)
    {
        var user = RunAs!;
        try
        {
            await ProcessRun.RunAsync(["id", "-u", user], ct);
        }
        catch (PostgresException)
        {
            throw new PostgresException(
                $"Running as root, PostgreSQL needs an unprivileged user '{user}' to run as, and there is none. " +
                "Create it (apt-get install postgresql creates one) or run Runtime as a normal user.");
        }
        await ProcessRun.RunAsync(["chown", "-R", $"{user}:", Directory], ct);
        try
        {
            await ProcessRun.RunAsync([.. AsUser(), "test", "-w", Directory], ct);
        }
        catch (PostgresException)
        {
            throw new PostgresException(
                $"User '{user}' cannot reach {Directory}: one of its parent folders is closed to other users (e.g. /root). " +
                "Choose a data directory it can reach with --data-dir, such as /var/lib/runtime.");
        }
    }
}
