using System.Diagnostics;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Runtime.Execution.Agents;
using Runtime.Grains;
using Runtime.Grains.Assignments;
using Runtime.Grains.Blobs;
using Runtime.Grains.Environments;
using Runtime.Grains.Jobs;
using Runtime.Grains.Logs;
using Runtime.Grains.Projects;
using Runtime.Grains.Tokens;

namespace Runtime.Api.Agents;

/// <summary>
/// The agent gateway (<see cref="AgentGateway"/>): remote agents dial out to it with their environment's
/// token. A heartbeat makes the agent the environment's holder; only the holder claims its assignments,
/// reports on them, ships their logs and fetches their revision archives.
/// </summary>
public static partial class AgentGatewayEndpoints
{
    private const int MaxWaitSeconds = 30;
    private static readonly TimeSpan Lease = TimeSpan.FromMinutes(5);

    public static IServiceCollection AddAgentGateway(this IServiceCollection services)
    {
        services.AddSingleton<AgentWorkloads>();
        services.AddSingleton<EnvironmentGate>();
        services.AddSingleton<EnvironmentValidation>();
        services.TryAddSingleton<AssignmentQueue>();
        // Long-polling agents wake when an assignment is queued for their environment (LISTEN/NOTIFY).
        services.TryAddSingleton<AssignmentWakeups>();
        services.AddHostedService(sp => sp.GetRequiredService<AssignmentWakeups>());
        return services;
    }

    public static WebApplication MapAgentGateway(this WebApplication app)
    {
        var gateway = app.MapGroup("/api/agent").AllowAnonymous().AddEndpointFilter(AgentAuthentication.Authenticate).WithTags("Agent gateway");
        gateway.MapPost("/heartbeat", Heartbeat).WithName("AgentHeartbeat")
            .WithSummary("An agent's heartbeat (every 10 s) with its version and resource figures; 409 while another agent holds the environment");
        gateway.MapPost("/assignments/claim", Claim).WithName("AgentClaim").WithSummary("Long-poll for the environment's assignments (up to waitSeconds, at most 30)");
        gateway.MapPost("/assignments/{id:guid}/complete", Complete).WithName("AgentComplete").WithSummary("The agent is done with an assignment");
        gateway.MapPost("/reports", Report).WithName("AgentReport").WithSummary("What happened to a workload: ready, failed, restarted, stopped, run-started, run-ended");
        gateway.MapPost("/logs", Logs).WithName("AgentLogs").WithSummary("Workload output, in order, in batches");
        gateway.MapGet("/archives/{hash}", Archive).WithName("AgentArchive").WithSummary("A revision archive an assignment of the environment runs");
        return app;
    }

    private static async Task<IResult> Heartbeat(AgentHeartbeat beat, HttpContext http, Orleans.IGrainFactory grains, TimeProvider time, ILoggerFactory loggers)
    {
        var agent = AgentAuthentication.Agent(http);
        var resources = beat.Resources ?? new ResourceUsage(0, 0, 0, 0, 0);
        var outcome = await grains.GetGrain<IEnvironmentGrain>(agent.Credentials.EnvironmentId).Heartbeat(new AgentBeat(agent.AgentId, Text(beat.Version, 100),
            Text(beat.Hostname, 255), beat.StartedAt, new AgentResources(resources.CpuPercent, resources.MemoryUsedBytes, resources.MemoryTotalBytes,
                resources.DiskFreeBytes, resources.DiskTotalBytes), (beat.Workloads ?? []).Take(10_000).ToList(), beat.LastRoundTripMs));
        if (!outcome.Accepted)
        {
            LogRefused(loggers.CreateLogger(typeof(AgentGatewayEndpoints)), agent.Credentials.EnvironmentId, agent.AgentId);
            return TypedResults.Problem(Problems.Problems.Create(409, "agent-conflict", "Another agent holds this environment", outcome.Refusal!));
        }
        return TypedResults.Ok(new HeartbeatAnswer(agent.Credentials.EnvironmentId, outcome.Name, AgentGateway.HeartbeatSeconds, time.GetUtcNow()));
    }

    private static async Task<IReadOnlyList<AgentAssignment>> Claim(
        ClaimRequest request, HttpContext http, AssignmentQueue queue, AgentWorkloads workloads, AssignmentWakeups wakeups)
    {
        var agent = AgentAuthentication.Holder(http);
        var environment = agent.Credentials.EnvironmentId.ToString("D");
        var agentId = agent.AgentId.ToString("D");
        var max = Math.Clamp(request.Max, 1, 32);
        var wait = TimeSpan.FromSeconds(Math.Clamp(request.WaitSeconds, 0, MaxWaitSeconds));
        var clock = Stopwatch.StartNew();
        var wakeup = wakeups.For(environment);
        while (true)
        {
            IReadOnlyList<Assignment> claimed =
            [
                .. await queue.ClaimAsync(WorkloadStops.AgentQueue(environment, agentId), agentId, max, Lease, http.RequestAborted),
                .. await queue.ClaimAsync(environment, agentId, max, Lease, http.RequestAborted),
            ];
            if (claimed.Count > 0)
                return await workloads.ResolveClaimedAsync(claimed, agentId, http.RequestAborted);
            var left = wait - clock.Elapsed;
            if (left <= TimeSpan.Zero)
                return [];
            await wakeups.WaitAsync(wakeup, left, http.RequestAborted);
        }
    }

    private static async Task<IResult> Complete(Guid id, CompleteRequest request, HttpContext http, AssignmentQueue queue)
    {
        var agent = AgentAuthentication.Holder(http);
        _ = await queue.FindAsync(id, agent.Credentials.EnvironmentId.ToString("D"), http.RequestAborted) ?? throw new NotFoundException("assignment", id.ToString());
        var done = await queue.CompleteAsync(id, agent.AgentId.ToString("D"), request.Succeeded, request.Result, http.RequestAborted);
        return done ? TypedResults.NoContent() : TypedResults.Problem(Problems.Problems.Create(409, "conflict", "Not yours to complete",
            $"Assignment {id} is not held by agent {agent.AgentId} (it was completed, or its lease ran out and another agent took it)."));
    }

    private static async Task<IResult> Report(AgentReport report, HttpContext http, AssignmentQueue queue, Orleans.IGrainFactory grains)
    {
        var agent = AgentAuthentication.Holder(http);
        var assignment = await queue.FindAsync(report.AssignmentId, agent.Credentials.EnvironmentId.ToString("D"), http.RequestAborted)
            ?? throw new NotFoundException("assignment", report.AssignmentId.ToString());
        var environment = grains.GetGrain<IEnvironmentGrain>(agent.Credentials.EnvironmentId);
        if (!await AgentReports.ApplyAsync(grains, assignment, report, environment))
            throw new ValidationException("event", $"'{report.Event}' is not a report for a {assignment.Kind} assignment (or it lacks its fields): " +
                "ready (address), failed (reason), restarted (reason), stopped, serve-ended (reason) for apps; run-started (tokenHash), run-ended (exitCode), stopped for runs.");
        return TypedResults.NoContent();
    }

    private static async Task<IResult> Logs(AgentLogLine[] lines, HttpContext http, AssignmentQueue queue, WorkloadLogStore logs)
    {
        var agent = AgentAuthentication.Holder(http);
        if (lines.Length > 5000)
            throw new ValidationException("lines", "Send at most 5000 lines at a time.");
        var ids = lines.Select(l => l.WorkloadId).Distinct(StringComparer.Ordinal).ToList();
        var known = await queue.WorkloadsOfAsync(agent.Credentials.EnvironmentId.ToString("D"), ids, http.RequestAborted);
        if (ids.FirstOrDefault(id => !known.Contains(id)) is { } unknown)
            throw new ValidationException("workloadId", $"'{Text(unknown, 100)}' is not a workload of this environment.");
        await logs.AppendAsync(lines.Select(l => (l.WorkloadId, Text(l.Stream, 20), l.Time, l.Line ?? "")).ToList(), http.RequestAborted);
        return TypedResults.NoContent();
    }

    private static async Task<IResult> Archive(string hash, HttpContext http, AssignmentQueue queue, IBlobStore blobs)
    {
        var agent = AgentAuthentication.Holder(http);
        if (!await queue.UsesArchiveAsync(agent.Credentials.EnvironmentId.ToString("D"), hash, http.RequestAborted))
            throw new NotFoundException("archive", hash);
        var stream = await blobs.OpenReadAsync(hash, http.RequestAborted) ?? throw new NotFoundException("archive", hash);
        return TypedResults.Stream(stream, "application/gzip");
    }

    private static string Text(string? value, int max) => value is null ? "" : value.Length <= max ? value : value[..max];

    [LoggerMessage(Level = LogLevel.Warning, Message = "Environment {EnvironmentId}: agent {AgentId} refused, another agent holds it")]
    private static partial void LogRefused(ILogger logger, Guid environmentId, Guid agentId);

}
