namespace Runtime.Grains.Assignments;

/// <summary>
/// A grain that has an app run by an agent (a "start" assignment): a project, or an interactive job.
/// The agent reports to it by the assignment's grain id.
/// </summary>
[Orleans.Alias("workload-owner")]
public interface IWorkloadOwner : Orleans.IGrainWithGuidKey
{
    /// <summary>Reported by the agent: the workload of <paramref name="assignmentId"/> answers its health probe at <paramref name="address"/>.</summary>
    Task WorkloadReady(Guid assignmentId, string address);

    /// <summary>Reported by the agent: the workload did not start, or stopped on its own.</summary>
    Task WorkloadFailed(Guid assignmentId, string reason);

    /// <summary>Reported by the agent: the workload crashed or failed its health probes and was restarted, and is healthy again.</summary>
    Task WorkloadRestarted(Guid assignmentId, string reason);

    /// <summary>Reported by the agent: the workload was stopped as asked (or asked to stop before it started).</summary>
    Task WorkloadStopped(Guid assignmentId);
}
