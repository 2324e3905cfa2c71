namespace Runtime.AppHost.Postgres;

/// <summary>Finds the PostgreSQL server binaries (initdb, postgres, pg_ctl) on this machine.</summary>
public static class PostgresBinaries
{
    /// <summary>Environment variable that names the folder explicitly.</summary>
    public const string Variable = "RUNTIME_PG_BIN";

    /// <summary>
    /// <paramref name="configured"/> or <c>RUNTIME_PG_BIN</c>; else the newest <c>/usr/lib/postgresql/&lt;v&gt;/bin</c>
    /// (Debian, Ubuntu); else the folder of <c>initdb</c> on PATH.
    /// </summary>
    public static string Find(string? configured = null)
    {
        foreach (var candidate in new[] { configured, Environment.GetEnvironmentVariable(Variable) })
        {
            if (string.IsNullOrEmpty(candidate))
                continue;
            if (!File.Exists(Path.Combine(candidate, "initdb")))
                throw new PostgresException($"No initdb in {candidate} (from --pg-bin or {Variable}). Point it at the folder holding PostgreSQL's server binaries.");
            return candidate;
        }

        const string debian = "/usr/lib/postgresql";
        if (Directory.Exists(debian))
        {
            var newest = Directory.GetDirectories(debian)
                .Select(d => (Dir: d, Version: double.TryParse(Path.GetFileName(d), System.Globalization.CultureInfo.InvariantCulture, out var v) ? v : 0))
                .Where(d => File.Exists(Path.Combine(d.Dir, "bin", "initdb")))
                .OrderByDescending(d => d.Version)
                .FirstOrDefault();
            if (newest.Dir is not null)
                return Path.Combine(newest.Dir, "bin");
        }

        foreach (var dir in (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':', StringSplitOptions.RemoveEmptyEntries))
        {
            if (File.Exists(Path.Combine(dir, "initdb")))
                return dir;
        }
        throw new PostgresException(
            "PostgreSQL's server binaries were not found. Install them (Debian/Ubuntu: apt-get install postgresql), " +
            $"set {Variable} to the folder holding initdb, or set ConnectionStrings__runtime to use an existing server.");
    }
}

/// <summary>The embedded server could not be prepared or started; the message says what to do.</summary>
public sealed class PostgresException(string message) : Exception(message);
