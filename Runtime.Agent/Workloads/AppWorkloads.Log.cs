namespace Runtime.Agent.Workloads;

internal sealed partial class AppWorkloads
{
    [LoggerMessage(Level = LogLevel.Information, Message = "Workload {WorkloadId} ({AssignmentId}) is ready at {Address} after {Milliseconds} ms")]
    private partial void LogReady(string workloadId, Guid assignmentId, string address, long milliseconds);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Workload {WorkloadId} ({AssignmentId}) failed: {Reason}")]
    private partial void LogFailed(string workloadId, Guid assignmentId, string reason);

    [LoggerMessage(Level = LogLevel.Error, Message = "Could not start workload {WorkloadId} ({AssignmentId})")]
    private partial void LogStartFailed(Exception error, string workloadId, Guid assignmentId);

    [LoggerMessage(Level = LogLevel.Information, Message = "Workload {WorkloadId} ({AssignmentId}) stopped")]
    private partial void LogStopped(string workloadId, Guid assignmentId);

    [LoggerMessage(Level = LogLevel.Information, Message = "Workload {WorkloadId} ({AssignmentId}): took over pid {Pid}, still running since before the agent restarted")]
    private partial void LogAdopted(string workloadId, Guid assignmentId, int pid);

    [LoggerMessage(Level = LogLevel.Information, Message = "Workload {WorkloadId} ({AssignmentId}): starting it again after the agent restarted (it was ready: {WasReady})")]
    private partial void LogStartingAgain(string workloadId, Guid assignmentId, bool wasReady);

    [LoggerMessage(Level = LogLevel.Information, Message = "Assignment {AssignmentId} was stopped before it started here; it will not start")]
    private partial void LogStoppedBeforeStart(Guid assignmentId);
}
