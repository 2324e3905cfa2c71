namespace Runtime.Agent.Loops;

internal sealed partial class AssignmentLoop
{
    [LoggerMessage(Level = LogLevel.Information, Message = "Environment {Environment}: claimed {Kind} {AssignmentId} for workload {WorkloadId}")]
    private partial void LogClaimed(string environment, string kind, Guid assignmentId, string workloadId);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Environment {Environment}: another agent holds this environment; claiming again in {Seconds} s")]
    private partial void LogHeldByAnother(string environment, double seconds);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Environment {Environment}: token refused by the Api; claiming again in {Seconds} s")]
    private partial void LogTokenRefused(string environment, double seconds);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Environment {Environment}: claiming failed ({Error}); trying again in {Seconds} s")]
    private partial void LogClaimFailed(string environment, string error, double seconds);

}
