using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace Runtime.Grains.Silos;

/// <summary>
/// Holds one connection that LISTENs for queued assignments and wakes the silo's embedded agent, so
/// work queued anywhere in the cluster is picked up within milliseconds. When the connection drops
/// the agent falls back to polling until it is back.
/// </summary>
public sealed partial class NotificationListener(
    NpgsqlDataSource dataSource,
    DeliverySignals signals,
    TimeProvider time,
    ILogger<NotificationListener> logger) : BackgroundService
{
    private readonly TaskCompletionSource _listening = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Completes once the first LISTEN is in place.</summary>
    public Task Listening => _listening.Task;

    protected override Task ExecuteAsync(CancellationToken stoppingToken) => ListeningConnection.RunAsync(
        dataSource,
        [Channels.Assignments],
        _ => signals.Assignments.Set(),
        failures =>
        {
            if (failures > 0)
                LogReconnected(failures);
            _listening.TrySetResult();
            // Anything committed while we were not listening must not wait for the next poll.
            signals.SetAll();
        },
        (error, failures) =>
        {
            LogListenFailed(error, failures);
            signals.SetAll();
        },
        time,
        stoppingToken);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Lost the notification connection (failure {Failures}); the agent falls back to polling until it is back")]
    private partial void LogListenFailed(Exception exception, int failures);

    [LoggerMessage(Level = LogLevel.Information, Message = "Notification connection restored after {Failures} failures")]
    private partial void LogReconnected(int failures);
}
