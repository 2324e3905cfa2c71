namespace Runtime.Agent.Workloads;

internal sealed partial class WorkloadAdoption
{
    [LoggerMessage(Level = LogLevel.Information, Message = "Taking over {Count} workloads recorded before the agent restarted")]
    private partial void LogAdopting(int count);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Workload record {Path} is unreadable; removed its folder")]
    private partial void LogUnreadable(string path);

    [LoggerMessage(Level = LogLevel.Error, Message = "Could not take over workload {WorkloadId} ({AssignmentId})")]
    private partial void LogAdoptionFailed(Exception error, string workloadId, Guid assignmentId);
}
