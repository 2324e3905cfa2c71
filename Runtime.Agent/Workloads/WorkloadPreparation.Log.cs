namespace Runtime.Agent.Workloads;

internal sealed partial class WorkloadPreparation
{
    [LoggerMessage(Level = LogLevel.Information, Message = "Workload {WorkloadId}: built Python environment {Key} in {Milliseconds} ms")]
    private partial void LogEnvironmentBuilt(string workloadId, string key, long milliseconds);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not remove workload folder {Directory}")]
    private partial void LogCleanupFailed(Exception error, string directory);
}
