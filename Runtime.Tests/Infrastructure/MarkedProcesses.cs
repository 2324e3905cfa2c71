namespace Runtime.Tests.Infrastructure;

/// <summary>
/// Finds every process that inherited a marker variable from a process a test started: the AppHost
/// hands its environment to the orchestrator, PostgreSQL, the silos and the Api, whatever their parent
/// is by then, so "nothing left behind" can be checked without knowing their pids.
/// </summary>
public sealed class MarkedProcesses
{
    public const string Variable = "RUNTIME_TEST_MARKER";

    public string Marker { get; } = Guid.NewGuid().ToString("N");

    public KeyValuePair<string, string> Environment => new(Variable, Marker);

    /// <summary>Pids and command lines of the live processes carrying the marker.</summary>
    public IReadOnlyList<(int Pid, string Command)> Alive()
    {
        var needle = $"{Variable}={Marker}";
        var found = new List<(int, string)>();
        foreach (var directory in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(directory), out var pid))
                continue;
            try
            {
                if (File.ReadAllText(Path.Combine(directory, "environ")).Split('\0').Contains(needle))
                    found.Add((pid, File.ReadAllText(Path.Combine(directory, "cmdline")).Replace('\0', ' ').Trim()));
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                // Gone while we looked, or a zombie: not alive for this purpose.
            }
        }
        return found;
    }
}
