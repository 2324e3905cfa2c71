using Microsoft.Extensions.Logging;
using Orleans.Runtime;

namespace Runtime.Tests.Infrastructure;

/// <summary>
/// A silo hosted in the test process reports what Orleans calls fatal (such as being declared dead by
/// the others on a loaded machine) instead of ending the whole test run with FailFast, which is right
/// for a silo process of its own.
/// </summary>
public sealed partial class TestFatalErrors(ILogger<TestFatalErrors> logger) : IFatalErrorHandler
{
    public bool IsUnexpected(Exception exception) => true;

    public void OnFatalException(object? sender = null, string? context = null, Exception? exception = null) =>
        LogFatal(exception, sender?.ToString(), context);

    [LoggerMessage(Level = LogLevel.Critical, Message = "A test silo hit what Orleans calls fatal ({Sender}): {Context}")]
    private partial void LogFatal(Exception? exception, string? sender, string? context);
}
