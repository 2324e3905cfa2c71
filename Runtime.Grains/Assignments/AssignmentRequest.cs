using System.Text.Json;

namespace Runtime.Grains.Assignments;

/// <summary>Work for an agent of an environment, emitted by a grain call (start, stop or probe a workload).</summary>
/// <param name="Spec">The complete workload spec the agent needs; never read by the control plane again.</param>
public sealed record AssignmentRequest(string EnvironmentId, string WorkloadId, string Kind, JsonElement Spec);

/// <summary>An assignment as an agent sees it after claiming it.</summary>
public sealed record Assignment(
    Guid Id,
    string EnvironmentId,
    string WorkloadId,
    string Kind,
    JsonElement Spec,
    GrainId Grain,
    int Attempt,
    DateTimeOffset LeaseUntil);

/// <summary>Where an assignment stands.</summary>
public enum AssignmentStatus
{
    /// <summary>Stored with the call that emitted it, not yet claimable: that call's state is not written yet.</summary>
    Held,
    Pending,
    Claimed,
    Completed,
    Failed,
}
