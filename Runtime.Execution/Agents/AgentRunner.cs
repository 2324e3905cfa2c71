using Microsoft.Extensions.Logging;
using Runtime.Execution.Health;
using Runtime.Execution.Python;
using Runtime.Execution.Supervision;

namespace Runtime.Execution.Agents;

/// <summary>
/// The one agent runner (DESIGN §4), whichever channel feeds it (<see cref="IAgentChannel"/>): a start gets its
/// folder prepared (the revision unpacked, its files written, its Python environment built or reused) and its
/// app kept running by an <see cref="AppSupervisor"/>; a run is a script run once to its end; a stop ends either;
/// a check answers the environment's checklist. Ready, failed, restarted, stopped and run ends are reported
/// through the channel. The record beside each workload lets this agent after a restart, or another agent of
/// its cluster, take it over (<see cref="AdoptOrphansAsync"/>).
/// </summary>
public sealed partial class AgentRunner(
    IAgentChannel channel, RunnerSettings settings, WorkloadExecutors executors, VenvBuilder venvs, AgentOptions options, TimeProvider time,
    ILogger<AgentRunner> logger) : IDisposable
{
    private const string StoppedWhileStarting = "stopped while starting";

    private readonly WorkloadRegistry _registry = new();
    private readonly HealthProbe _probe = new();

    /// <summary>Set once the agent is stopping: a start cut short by it leaves its claim to be handed out again, not failed.</summary>
    private volatile bool _stopping;

    /// <summary>The start assignments this runner runs or is preparing, for heartbeats.</summary>
    public IReadOnlyList<Guid> Current() => _registry.Current();

    /// <summary>Handles one claimed assignment to its end (for a start: until its app is ready or failed; for a run: until it ended).</summary>
    public async Task HandleAsync(AgentAssignment assignment, CancellationToken ct)
    {
        try
        {
            switch (assignment.Kind)
            {
                case AssignmentKinds.Start:
                    await StartAsync(assignment, ct);
                    break;
                case AssignmentKinds.Run:
                    await RunAsync(assignment, ct);
                    break;
                case AssignmentKinds.Stop:
                    await StopAsync(assignment);
                    break;
                case AssignmentKinds.Check:
                    // The environment's checklist: what this machine reaches and may use, answered as the result.
                    await channel.CompleteAsync(assignment.Id, true, await AgentCheckRunner.RunAsync(assignment.Checks ?? new AgentChecks([], []), ct));
                    break;
                default:
                    LogUnknownKind(assignment.Kind, assignment.Id);
                    await channel.CompleteAsync(assignment.Id, false, new { reason = $"this agent does not know assignments of kind '{assignment.Kind}'" });
                    break;
            }
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            // The agent is stopping; the assignment is handed out again.
        }
        catch (Exception e)
        {
            LogAssignmentFailed(e, assignment.Kind, assignment.Id, assignment.WorkloadId);
            await channel.CompleteAsync(assignment.Id, false, new { reason = e.Message });
        }
    }

    /// <summary>
    /// The agent is stopping. A silo's agent (<see cref="RunnerSettings.StopsWorkloadsOnShutdown"/>) ends its apps,
    /// leaving a note in each record for the next agent of its cluster, and its runs, waiting a while for their
    /// reports. A remote agent leaves both running, to take them over when it is back.
    /// </summary>
    public async Task ShutdownAsync()
    {
        _stopping = true;
        if (!settings.StopsWorkloadsOnShutdown)
            return;
        await StopAppsForShutdownAsync();
        await StopRunsForShutdownAsync();
        await StopAppsForShutdownAsync(); // what the last claims started meanwhile
    }

    public void Dispose() => _probe.Dispose();

    // A stop names the start (or run) assignment whose workload to stop.
    private async Task StopAsync(AgentAssignment assignment)
    {
        if (assignment.StopAssignmentId is not { } target)
        {
            await channel.CompleteAsync(assignment.Id, false, new { reason = "the stop names no assignment" });
            return;
        }
        // A batch run's end is reported by the run itself, as cancelled.
        if (!await CancelRunAsync(target))
        {
            if (!await StopAppAsync(target))
            {
                _registry.Stopped[target] = 0; // still being prepared, or not here yet: it will not start
                LogStoppedBeforeStart(target);
            }
            await channel.ReportAsync(Report(target, AgentEvents.Stopped));
        }
        await channel.CompleteAsync(assignment.Id, true, null);
    }

    private AgentReport Report(Guid assignmentId, string @event, string? address = null, string? reason = null, int? exitCode = null,
        string? stopReason = null, string? lastLines = null, string? tokenHash = null) =>
        new(channel.AgentId, assignmentId, @event, address, reason, exitCode, stopReason, lastLines, tokenHash);
}
