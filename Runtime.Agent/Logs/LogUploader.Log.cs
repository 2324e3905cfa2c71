namespace Runtime.Agent.Logs;

internal sealed partial class LogUploader
{
    [LoggerMessage(Level = LogLevel.Warning, Message = "More than {Capacity} log lines wait for the Api; dropping the oldest")]
    private partial void LogDropping(int capacity);

    [LoggerMessage(Level = LogLevel.Warning, Message = "The Api refused a batch of {Count} log lines; dropped it: {Error}")]
    private partial void LogBatchRefused(int count, string error);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not ship log lines ({Pending} waiting): {Error}; retrying in {Seconds} s")]
    private partial void LogRetrying(int pending, string error, double seconds);

    [LoggerMessage(Level = LogLevel.Warning, Message = "{Pending} log lines were not shipped before the agent stopped")]
    private partial void LogUnflushed(int pending);
}
