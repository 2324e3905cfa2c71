using Microsoft.Extensions.Logging;

namespace Runtime.Execution.Agents;

public sealed partial class AgentRunner
{
    [LoggerMessage(Level = LogLevel.Warning, Message = "Assignment {AssignmentId} has unknown kind {Kind}")]
    private partial void LogUnknownKind(string kind, Guid assignmentId);

    [LoggerMessage(Level = LogLevel.Error, Message = "Assignment {Kind} {AssignmentId} for workload {WorkloadId} failed")]
    private partial void LogAssignmentFailed(Exception error, string kind, Guid assignmentId, string workloadId);

    [LoggerMessage(Level = LogLevel.Information, Message = "Assignment {AssignmentId} was stopped before it started here; it will not start")]
    private partial void LogStoppedBeforeStart(Guid assignmentId);

    [LoggerMessage(Level = LogLevel.Information, Message = "Workload {WorkloadId} ({AssignmentId}): the unpacked revision is gone; unpacking it again")]
    private partial void LogUnpackingAgain(string workloadId, Guid assignmentId);

    [LoggerMessage(Level = LogLevel.Information, Message = "Workload {WorkloadId}: built Python environment {Key} in {Milliseconds} ms")]
    private partial void LogEnvironmentBuilt(string workloadId, string key, long milliseconds);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Workload {WorkloadId}: building its Python environment ({Interpreter}) failed; the build log is in the workload's log")]
    private partial void LogEnvironmentFailed(string workloadId, string interpreter);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not remove workload folder {Directory}")]
    private partial void LogCleanupFailed(Exception error, string directory);

    [LoggerMessage(Level = LogLevel.Error, Message = "Could not start workload {WorkloadId} ({AssignmentId})")]
    private partial void LogStartFailed(Exception error, string workloadId, Guid assignmentId);

    [LoggerMessage(Level = LogLevel.Information, Message = "Workload {WorkloadId} ({AssignmentId}) is ready at {Address} after {Milliseconds} ms")]
    private partial void LogReady(string workloadId, Guid assignmentId, string address, long milliseconds);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Workload {WorkloadId} ({AssignmentId}) failed: {Reason}")]
    private partial void LogFailed(string workloadId, Guid assignmentId, string reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "Workload {WorkloadId} ({AssignmentId}) stopped")]
    private partial void LogStopped(string workloadId, Guid assignmentId);

    [LoggerMessage(Level = LogLevel.Information, Message = "Workload {WorkloadId} ({AssignmentId}): taken over running as {Workload}, its agent being gone")]
    private partial void LogAdopted(string workloadId, Guid assignmentId, string workload);

    [LoggerMessage(Level = LogLevel.Information, Message = "Workload {WorkloadId} ({AssignmentId}): {Why}; starting it again")]
    private partial void LogStartingAgain(string workloadId, Guid assignmentId, string why);

    [LoggerMessage(Level = LogLevel.Information, Message = "Workload {WorkloadId} ({AssignmentId}): started again as {Workload}")]
    private partial void LogStartedAgain(string workloadId, Guid assignmentId, string workload);

    [LoggerMessage(Level = LogLevel.Information, Message = "Workload {WorkloadId} ({AssignmentId}): stopped with the agent; left for the next agent to start again")]
    private partial void LogLeftForNextStart(string workloadId, Guid assignmentId);

    [LoggerMessage(Level = LogLevel.Information, Message = "Workload {WorkloadId} ({AssignmentId}): its interactive run was stopped with its agent; the run ends")]
    private partial void LogServeEnded(string workloadId, Guid assignmentId);

    [LoggerMessage(Level = LogLevel.Information, Message = "Taking over {Count} workloads whose agent is gone")]
    private partial void LogAdopting(int count);

    [LoggerMessage(Level = LogLevel.Error, Message = "Could not take over workload {WorkloadId} ({AssignmentId})")]
    private partial void LogAdoptionFailed(Exception error, string workloadId, Guid assignmentId);

    [LoggerMessage(Level = LogLevel.Information, Message = "Run {WorkloadId} ({AssignmentId}) started as {Workload} (run {RunId})")]
    private partial void LogRunStarted(string workloadId, Guid runId, Guid assignmentId, string workload);

    [LoggerMessage(Level = LogLevel.Information, Message = "Run {WorkloadId} ({AssignmentId}) ended with code {ExitCode} ({StopReason})")]
    private partial void LogRunEnded(string workloadId, Guid assignmentId, int exitCode, string? stopReason);

    [LoggerMessage(Level = LogLevel.Error, Message = "Could not run {WorkloadId} ({AssignmentId})")]
    private partial void LogRunFailed(Exception error, string workloadId, Guid assignmentId);

    [LoggerMessage(Level = LogLevel.Information, Message = "Cancelling run {WorkloadId} ({AssignmentId})")]
    private partial void LogCancelling(string workloadId, Guid assignmentId);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Run {WorkloadId} ({AssignmentId}): its process was gone when its agent came back; reported lost")]
    private partial void LogRunLost(string workloadId, Guid assignmentId);

    [LoggerMessage(Level = LogLevel.Information, Message = "Run {WorkloadId} ({AssignmentId}): taken over running as {Workload}")]
    private partial void LogRunAdopted(string workloadId, Guid assignmentId, string workload);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Run {WorkloadId}: its agent died and the run was failed as lost; ended its orphaned {Workload}")]
    private partial void LogOrphanedRunEnded(string workloadId, string workload);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Run {WorkloadId}: not every log line was shipped before its end was reported")]
    private partial void LogUnflushed(string workloadId);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Removed the container of {WorkloadId}: no record of this agent's names it (its agent died while starting it)")]
    private partial void LogOrphanContainerRemoved(string workloadId);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not look for orphaned containers")]
    private partial void LogOrphanSweepFailed(Exception error);
}
