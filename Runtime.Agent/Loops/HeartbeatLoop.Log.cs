namespace Runtime.Agent.Loops;

internal sealed partial class HeartbeatLoop
{
    [LoggerMessage(Level = LogLevel.Information, Message = "Environment {Environment}: connected to the Api as agent {AgentId} (environment {Name}, {EnvironmentId}); running {Count} workloads")]
    private partial void LogConnected(string environment, string name, Guid environmentId, Guid agentId, int count);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Environment {Environment}: the token belongs to environment {Name} ({EnvironmentId}); serving that one")]
    private partial void LogOtherEnvironment(string environment, string name, Guid environmentId);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Environment {Environment}: another agent holds this environment (the Api answered 409 to agent {AgentId}); trying again in {Seconds} s")]
    private partial void LogHeldByAnother(string environment, Guid agentId, double seconds);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Environment {Environment}: token refused by the Api; trying again in {Seconds} s (was it rotated or revoked?)")]
    private partial void LogTokenRefused(string environment, double seconds);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Environment {Environment}: heartbeat failed ({Error}); trying again in {Seconds} s")]
    private partial void LogUnreachable(string environment, string error, double seconds);
}
