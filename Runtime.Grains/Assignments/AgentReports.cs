using Runtime.Execution.Agents;
using Runtime.Grains.Environments;
using Runtime.Grains.Jobs;

namespace Runtime.Grains.Assignments;

/// <summary>
/// What an agent reports about a workload, applied to the grain that owns it, whichever channel the report came
/// by: the project or interactive job of a start, the job of a run; and, for an environment with its own agents,
/// its failure counts.
/// </summary>
public static class AgentReports
{
    public const int MaxText = 4000;

    /// <summary>
    /// Applies <paramref name="report"/> about <paramref name="assignment"/>'s workload; false when the event is not
    /// one for an assignment of its kind, or lacks its fields.
    /// </summary>
    /// <param name="environment">The environment whose failures to count; null for the built-in one.</param>
    public static async Task<bool> ApplyAsync(Orleans.IGrainFactory grains, Assignment assignment, AgentReport report, IEnvironmentGrain? environment)
    {
        var owner = assignment.Kind == AssignmentKinds.Start ? WorkloadOwners.Of(grains, assignment.Grain) : null;
        var job = assignment.Kind == AssignmentKinds.Run ? grains.GetGrain<IJobGrain>(AgentWorkloads.JobOf(assignment)) : null;
        switch (report.Event)
        {
            case AgentEvents.Ready when owner is not null && Uri.TryCreate(report.Address, UriKind.Absolute, out var address) && address.Scheme is "http" or "https":
                await owner.WorkloadReady(assignment.Id, address.GetLeftPart(UriPartial.Authority));
                return true;
            case AgentEvents.Failed when owner is not null:
                await owner.WorkloadFailed(assignment.Id, Text(report.Reason));
                if (environment is not null)
                    await environment.WorkloadFailed(assignment.WorkloadId, Text(report.Reason));
                return true;
            case AgentEvents.Restarted when owner is not null:
                await owner.WorkloadRestarted(assignment.Id, Text(report.Reason));
                return true;
            case AgentEvents.Stopped when owner is not null:
                await owner.WorkloadStopped(assignment.Id);
                return true;
            case AgentEvents.ServeEnded when assignment.Kind == AssignmentKinds.Start && assignment.Grain.Type == "job":
                await grains.GetGrain<IJobGrain>(Guid.Parse(assignment.Grain.Key)).ServeEnded(assignment.Id, Text(report.Reason));
                return true;
            case AgentEvents.Stopped when job is not null:
                await job.WorkloadStopped(assignment.Id);
                return true;
            case AgentEvents.RunStarted when job is not null && report.TokenHash is { Length: 64 } hash:
                await job.RunStarted(AgentWorkloads.RunOf(assignment), hash);
                return true;
            case AgentEvents.RunEnded when job is not null && report.ExitCode is { } exitCode:
                await job.RunEnded(AgentWorkloads.RunOf(assignment), exitCode, report.StopReason, report.LastLines);
                if (environment is not null && exitCode != 0 && report.StopReason is null)
                    await environment.WorkloadFailed(assignment.WorkloadId, $"exited with code {exitCode}");
                return true;
            default:
                return false;
        }
    }

    private static string Text(string? value) => value is null ? "" : value.Length <= MaxText ? value : value[..MaxText];
}
