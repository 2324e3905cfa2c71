using System.Text.Json;

namespace Runtime.Execution.Agents;

/// <summary>
/// The agent gateway: what a remote agent (<c>Runtime.Agent</c>) and the Api say to each other over
/// HTTP(S). The agent always dials out; every request carries the environment's token as
/// <c>Authorization: Bearer re_…</c> and the agent's identity in <see cref="AgentIdHeader"/>.
/// Bodies are JSON (web defaults: camelCase).
/// </summary>
public static class AgentGateway
{
    /// <summary>The agent's own identity (a GUID it keeps in its directory): one agent per environment at a time.</summary>
    public const string AgentIdHeader = "Runtime-Agent-Id";

    /// <summary>POST <see cref="AgentHeartbeat"/> → <see cref="HeartbeatAnswer"/>; 409 while another agent holds the environment.</summary>
    public const string Heartbeat = "/api/agent/heartbeat";

    /// <summary>POST <see cref="ClaimRequest"/> → <see cref="AgentAssignment"/>[] (long-poll: empty after <see cref="ClaimRequest.WaitSeconds"/>).</summary>
    public const string Claim = "/api/agent/assignments/claim";

    /// <summary>POST <see cref="CompleteRequest"/>: the agent is done with an assignment (a start is done once the app is ready or failed).</summary>
    public static string Complete(Guid assignmentId) => $"/api/agent/assignments/{assignmentId:D}/complete";

    /// <summary>POST <see cref="AgentReport"/>: what happened to a workload (ready, failed, restarted, stopped, run-started, run-ended).</summary>
    public const string Reports = "/api/agent/reports";

    /// <summary>POST <see cref="AgentLogLine"/>[]: workload output, in order, in batches.</summary>
    public const string Logs = "/api/agent/logs";

    /// <summary>GET: a revision archive (tar.gz) by its hash, for an assignment of this environment.</summary>
    public static string Archive(string hash) => $"/api/agent/archives/{hash}";

    /// <summary>Seconds between heartbeats.</summary>
    public const int HeartbeatSeconds = 10;
}

/// <summary>Report events (<see cref="AgentReport.Event"/>).</summary>
public static class AgentEvents
{
    /// <summary>An app answers its health probe at <see cref="AgentReport.Address"/>.</summary>
    public const string Ready = "ready";

    /// <summary>An app did not start, or failed for good (<see cref="AgentReport.Reason"/> with its last lines).</summary>
    public const string Failed = "failed";

    /// <summary>An app crashed or failed its probes and was restarted (<see cref="AgentReport.Reason"/>).</summary>
    public const string Restarted = "restarted";

    /// <summary>A workload was stopped as asked (or asked to stop before it started).</summary>
    public const string Stopped = "stopped";

    /// <summary>An interactive run's app was ended with the agent that served it (the agent stopped); the next visit starts another. <see cref="AgentReport.Reason"/> says why.</summary>
    public const string ServeEnded = "serve-ended";

    /// <summary>A batch run's process was spawned; <see cref="AgentReport.TokenHash"/> is the SHA-256 (hex) of its RUNTIME_RUN_TOKEN.</summary>
    public const string RunStarted = "run-started";

    /// <summary>A batch run's process ended: <see cref="AgentReport.ExitCode"/>, <see cref="AgentReport.StopReason"/> when it was stopped, <see cref="AgentReport.LastLines"/>.</summary>
    public const string RunEnded = "run-ended";
}

/// <param name="Workloads">The start assignments whose workloads this agent runs now (apps and runs).</param>
/// <param name="LastRoundTripMs">How long the agent's previous heartbeat took, request to answer: the network path as the agent sees it.</param>
public sealed record AgentHeartbeat(
    Guid AgentId, string Version, DateTimeOffset StartedAt, string Hostname, ResourceUsage Resources, IReadOnlyList<Guid> Workloads, double? LastRoundTripMs = null);

/// <summary>Resource pressure on the agent's machine, as the agent measures it.</summary>
public sealed record ResourceUsage(double CpuPercent, long MemoryUsedBytes, long MemoryTotalBytes, long DiskFreeBytes, long DiskTotalBytes);

public sealed record HeartbeatAnswer(Guid EnvironmentId, string Environment, int HeartbeatSeconds, DateTimeOffset ServerTime);

public sealed record ClaimRequest(Guid AgentId, int Max, int WaitSeconds);

/// <summary>
/// Work for the agent. Kind <c>start</c> (an app) and <c>run</c> (a batch run) carry <see cref="Workload"/>;
/// kind <c>stop</c> names the start assignment whose workload to stop in <see cref="StopAssignmentId"/>;
/// kind <c>check</c> carries <see cref="Checks"/>, whose <see cref="CheckResults"/> the agent sends as the
/// completion's result.
/// </summary>
/// <param name="Attempt">Which claim of the assignment this is (1 for the first).</param>
public sealed record AgentAssignment(Guid Id, string Kind, string WorkloadId, AgentWorkload? Workload, Guid? StopAssignmentId, AgentChecks? Checks = null, int Attempt = 0);

/// <summary>What to check from the agent's machine before a deploy: hosts it must reach, paths it must use.</summary>
public sealed record AgentChecks(IReadOnlyList<ReachabilityCheck> Connections, IReadOnlyList<PathCheck> Paths);

/// <summary>A TCP connect to <paramref name="Host"/>:<paramref name="Port"/> (3 s at most).</summary>
public sealed record ReachabilityCheck(string Name, string Host, int Port);

/// <summary>A directory the workload will read and write.</summary>
public sealed record PathCheck(string Name, string Path);

/// <summary>The agent's answer to a check assignment (the completion's result).</summary>
public sealed record CheckResults(IReadOnlyList<CheckResult> Results);

/// <param name="Target">host:port, or the path.</param>
/// <param name="Error">Why it failed (connection refused, timed out after 3 s, no such directory, not writable …).</param>
public sealed record CheckResult(string Name, string Target, bool Passed, string? Error, double Milliseconds);

/// <summary>
/// What to run, resolved by the Api: settings decrypted into <see cref="Environment"/> (the values to mask
/// in logs in <see cref="Secrets"/>), configuration files to write into the working directory, the Python
/// environment to build or reuse. The agent keeps none of it past the workload.
/// </summary>
/// <param name="AppType">The app-type template (<c>batch</c> for runs).</param>
/// <param name="BasePath">Where the Api serves the app (apps), without a trailing slash.</param>
/// <param name="Archive">The revision archive's hash: GET <see cref="AgentGateway.Archive"/>.</param>
/// <param name="Files">Paths relative to the working directory (<c>.dlt/config.toml</c>) and their text.</param>
/// <param name="TimeLimitSeconds">For runs: stopped (SIGTERM, grace, SIGKILL) and reported with stop reason "time limit" past it.</param>
/// <param name="RunId">For runs: its id (RUNTIME_RUN_ID); the agent sets RUNTIME_RUN_TOKEN and RUNTIME_API_URL too.</param>
/// <param name="Interactive">For starts: the app is an interactive job's run, which ends (rather than starts again) when its agent stops.</param>
/// <param name="Execution">What its project or job asks of the executor; the agent's operator limits still hold.</param>
public sealed record AgentWorkload(
    string AppType, string Path, string BasePath, string Archive, string Profile,
    IReadOnlyDictionary<string, string> Environment, IReadOnlyList<string> Secrets, IReadOnlyDictionary<string, string> Files,
    AgentPython Python, int? TimeLimitSeconds, Guid? RunId, bool Interactive = false, AgentExecution? Execution = null);

/// <summary>A project's or job's execution choice: <c>process</c> or <c>docker</c>, and limits that may only be lower than the operator's; null leaves each to the agent.</summary>
public sealed record AgentExecution(string? Executor = null, long? MemoryMb = null, double? CpuPercent = null, long? TmpfsMb = null, string? Image = null);

/// <summary>The Python environment: an interpreter (<c>agent</c>: the agent's own), pip requirements, system packages or not.</summary>
/// <param name="Name">The environment's name in its workspace, for messages.</param>
public sealed record AgentPython(string Interpreter, string Requirements, bool InheritSystemPackages, string? Name = null);

public sealed record CompleteRequest(Guid AgentId, bool Succeeded, JsonElement? Result);

public sealed record AgentReport(
    Guid AgentId, Guid AssignmentId, string Event, string? Address = null, string? Reason = null, int? ExitCode = null, string? StopReason = null,
    string? LastLines = null, string? TokenHash = null);

public sealed record AgentLogLine(string WorkloadId, string Stream, DateTimeOffset Time, string Line);
