using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace Runtime.Grains.Delivery;

/// <summary>
/// Holds one connection that LISTENs on the delivery channels and wakes the matching loop, so work
/// committed anywhere in the cluster is picked up within milliseconds. When the connection drops
/// the loops fall back to polling until it is back.
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

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var failures = 0;
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await using var connection = await dataSource.OpenConnectionAsync(stoppingToken);
                connection.Notification += (_, e) => Dispatch(e.Channel);
                await using (var listen = new NpgsqlCommand(
                    $"LISTEN {Channels.Messages}; LISTEN {Channels.Reminders}; LISTEN {Channels.Activities}; LISTEN {Channels.Assignments}", connection))
                {
                    await listen.ExecuteNonQueryAsync(stoppingToken);
                }
                if (failures > 0)
                    LogReconnected(failures);
                failures = 0;
                _listening.TrySetResult();
                // Anything committed while we were not listening must not wait for the next poll.
                signals.SetAll();
                while (!stoppingToken.IsCancellationRequested)
                {
                    // Wakes for each notification; the timeout lets a dead connection surface.
                    if (!await connection.WaitAsync(TimeSpan.FromSeconds(30), stoppingToken))
                    {
                        await using var ping = new NpgsqlCommand("SELECT 1", connection);
                        await ping.ExecuteScalarAsync(stoppingToken);
                    }
                }
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e)
            {
                failures++;
                LogListenFailed(e, failures);
                signals.SetAll();
                await Task.Delay(TimeSpan.FromMilliseconds(Math.Min(10_000, 200 * Math.Pow(2, failures))), time, stoppingToken)
                    .ContinueWith(_ => { }, TaskScheduler.Default);
            }
        }
    }

    private void Dispatch(string channel)
    {
        switch (channel)
        {
            case Channels.Messages:
                signals.Messages.Set();
                break;
            case Channels.Reminders:
                signals.Reminders.Set();
                break;
            case Channels.Assignments:
                signals.Assignments.Set();
                break;
            case Channels.Activities:
                signals.Activities.Set();
                break;
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Lost the notification connection (failure {Failures}); delivery falls back to polling until it is back")]
    private partial void LogListenFailed(Exception exception, int failures);

    [LoggerMessage(Level = LogLevel.Information, Message = "Notification connection restored after {Failures} failures")]
    private partial void LogReconnected(int failures);
}
