using Runtime.Execution.Health;

namespace Runtime.Execution.Agents;

/// <summary>Running the checks, the same on every agent.</summary>
public static class AgentCheckRunner
{
    public static readonly TimeSpan ConnectTimeout = TimeSpan.FromSeconds(3);

    public static async Task<CheckResults> RunAsync(AgentChecks checks, CancellationToken ct)
    {
        var connections = checks.Connections.Select(c => ConnectAsync(c, ct));
        var results = (await Task.WhenAll(connections)).ToList();
        results.AddRange(checks.Paths.Select(Path));
        return new CheckResults(results);
    }

    private static async Task<CheckResult> ConnectAsync(ReachabilityCheck check, CancellationToken ct)
    {
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var error = await TcpConnect.TryAsync(check.Host, check.Port, ConnectTimeout, ct);
        return new CheckResult(check.Name, $"{check.Host}:{check.Port}", error is null, error, clock.Elapsed.TotalMilliseconds);
    }

    private static CheckResult Path(PathCheck check)
    {
        var clock = System.Diagnostics.Stopwatch.StartNew();
        string? error = null;
        if (!System.IO.Path.IsPathRooted(check.Path))
            error = "not an absolute path";
        else if (!Directory.Exists(check.Path))
            error = "no such directory";
        else
        {
            var probe = System.IO.Path.Combine(check.Path, $".runtime-check-{Guid.NewGuid():N}");
            try
            {
                File.WriteAllText(probe, "");
                File.Delete(probe);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                error = $"not writable: {e.Message}";
            }
        }
        return new CheckResult(check.Name, check.Path, error is null, error, clock.Elapsed.TotalMilliseconds);
    }
}
