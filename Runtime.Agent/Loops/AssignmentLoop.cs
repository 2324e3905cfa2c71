using Runtime.Agent.Gateway;
using Runtime.Agent.Hosting;
using Runtime.Agent.Workloads;
using Runtime.Execution.Agents;

namespace Runtime.Agent.Loops;

/// <summary>
/// Claims the environment's assignments with a long poll (<see cref="ClaimWait"/>) once the Api took a
/// heartbeat, and handles each on its own: starts of apps, batch runs, stops. Unreachable Api, refused token
/// or another agent holding the environment: it tries again with a doubling wait.
/// </summary>
internal sealed partial class AssignmentLoop(
    GatewayClient client, AgentSettings settings, AgentConnection connection, AppWorkloads apps, RunWorkloads runs, Reporter reporter,
    TimeProvider time, ILogger<AssignmentLoop> logger) : BackgroundService
{
    public static readonly TimeSpan ClaimWait = TimeSpan.FromSeconds(25);
    private const int ClaimMax = 8;

    private readonly Backoff _backoff = new();

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        try
        {
            await connection.Connected.WaitAsync(stoppingToken);
            while (!stoppingToken.IsCancellationRequested)
            {
                try
                {
                    await ClaimOnceAsync(stoppingToken);
                    _backoff.Reset();
                }
                catch (Exception e) when (e is GatewayException or HttpRequestException or TimeoutException or IOException or System.Text.Json.JsonException)
                {
                    var wait = _backoff.Next();
                    if (e is GatewayException { IsConflict: true })
                        LogHeldByAnother(settings.Environment, wait.TotalSeconds);
                    else if (e is GatewayException { IsTokenRefused: true })
                        LogTokenRefused(settings.Environment, wait.TotalSeconds);
                    else
                        LogClaimFailed(settings.Environment, e.Message, wait.TotalSeconds);
                    await Task.Delay(wait, time, stoppingToken);
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    /// <summary>One claim; its assignments are handled in the background. Returns how many came.</summary>
    public async Task<int> ClaimOnceAsync(CancellationToken ct)
    {
        var claimed = await client.ClaimAsync(ClaimMax, ClaimWait, ct);
        foreach (var assignment in claimed)
        {
            LogClaimed(settings.Environment, assignment.Kind, assignment.Id, assignment.WorkloadId);
            _ = Task.Run(() => HandleAsync(assignment, ct), CancellationToken.None);
        }
        return claimed.Count;
    }

    private async Task HandleAsync(AgentAssignment assignment, CancellationToken ct)
    {
        try
        {
            switch (assignment.Kind)
            {
                case AssignmentKinds.Start:
                    await apps.StartAsync(assignment, ct);
                    break;
                case AssignmentKinds.Run:
                    await runs.RunAsync(assignment, ct);
                    break;
                case AssignmentKinds.Stop:
                    await StopAsync(assignment);
                    break;
                case AssignmentKinds.Check:
                    // The environment's checklist: what this machine reaches and may use, answered as the result.
                    await reporter.CompleteAsync(assignment.Id, true, await AgentCheckRunner.RunAsync(assignment.Checks ?? new AgentChecks([], []), ct));
                    break;
                default:
                    LogUnknownKind(assignment.Kind, assignment.Id);
                    await reporter.CompleteAsync(assignment.Id, false, new { reason = $"this agent does not know assignments of kind '{assignment.Kind}'" });
                    break;
            }
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            // The agent is stopping; the Api hands the assignment out again.
        }
        catch (Exception e)
        {
            LogAssignmentFailed(e, assignment.Kind, assignment.Id, assignment.WorkloadId);
            await reporter.CompleteAsync(assignment.Id, false, new { reason = e.Message });
        }
    }

    // A stop names the start (or run) assignment whose workload to stop.
    private async Task StopAsync(AgentAssignment assignment)
    {
        if (assignment.StopAssignmentId is not { } target)
        {
            await reporter.CompleteAsync(assignment.Id, false, new { reason = "the stop names no assignment" });
            return;
        }
        // A batch run's end is reported by the run itself, as cancelled.
        if (!await runs.CancelAsync(target))
        {
            if (!await apps.StopAsync(target))
                apps.StopBeforeStart(target);
            await reporter.ReportAsync(target, AgentEvents.Stopped);
        }
        await reporter.CompleteAsync(assignment.Id, true);
    }
}
