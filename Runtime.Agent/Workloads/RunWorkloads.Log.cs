namespace Runtime.Agent.Workloads;

internal sealed partial class RunWorkloads
{
    [LoggerMessage(Level = LogLevel.Information, Message = "Workload {WorkloadId}: run {RunId} ({AssignmentId}) started as pid {Pid}")]
    private partial void LogRunStarted(string workloadId, Guid runId, Guid assignmentId, int pid);

    [LoggerMessage(Level = LogLevel.Information, Message = "Workload {WorkloadId} ({AssignmentId}): run ended with code {ExitCode} ({StopReason})")]
    private partial void LogRunEnded(string workloadId, Guid assignmentId, int exitCode, string? stopReason);

    [LoggerMessage(Level = LogLevel.Information, Message = "Workload {WorkloadId} ({AssignmentId}): cancelling the run")]
    private partial void LogCancelling(string workloadId, Guid assignmentId);

    [LoggerMessage(Level = LogLevel.Error, Message = "Could not run workload {WorkloadId} ({AssignmentId})")]
    private partial void LogRunFailed(Exception error, string workloadId, Guid assignmentId);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Workload {WorkloadId} ({AssignmentId}): the run's process was gone after the agent restarted; reporting it lost")]
    private partial void LogRunLost(string workloadId, Guid assignmentId);

    [LoggerMessage(Level = LogLevel.Information, Message = "Workload {WorkloadId} ({AssignmentId}): took over run pid {Pid}, still running since before the agent restarted")]
    private partial void LogRunAdopted(string workloadId, Guid assignmentId, int pid);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Workload {WorkloadId}: its last log lines were not all shipped before its end was reported")]
    private partial void LogUnflushed(string workloadId);
}
