namespace Runtime.Agent.Gateway;

internal sealed partial class Reporter
{
    [LoggerMessage(Level = LogLevel.Warning, Message = "The Api refused the {What}: {Error}")]
    private partial void LogRefused(string what, string error);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not send the {What} ({Error}); retrying in {Seconds} s")]
    private partial void LogRetrying(string what, string error, double seconds);

    [LoggerMessage(Level = LogLevel.Error, Message = "Gave up sending the {What}: {Error}")]
    private partial void LogGaveUp(string what, string error);
}
