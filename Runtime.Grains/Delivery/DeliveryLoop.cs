using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace Runtime.Grains.Delivery;

/// <summary>
/// The shape of every delivery loop: do what is due, then sleep until the next item is due, a
/// notification arrives, or the poll interval passes, whichever is first.
/// </summary>
/// <param name="table">The queue table (messages, reminders, activities); its <c>available_at</c> says when to wake.</param>
public abstract partial class DeliveryLoop(NpgsqlDataSource dataSource, string table, Signal signal, TimeProvider time, DeliveryOptions options, ILogger logger) : BackgroundService
{
    protected NpgsqlDataSource DataSource { get; } = dataSource;

    protected TimeProvider Time { get; } = time;

    protected DeliveryOptions Options { get; } = options;

    /// <summary>Claims and handles what is due; returns how many items it handled.</summary>
    public abstract Task<int> RunOnceAsync(CancellationToken cancellationToken);

    /// <summary>When the earliest item becomes claimable, or null when there is none.</summary>
    private async Task<DateTimeOffset?> NextAvailableAsync(CancellationToken cancellationToken)
    {
        await using var command = DataSource.CreateCommand($"SELECT min(available_at) FROM {table}");
        return await command.ExecuteScalarAsync(cancellationToken) as DateTime? is { } next ? new DateTimeOffset(next) : null;
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var failures = 0;
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                var handled = await RunOnceAsync(stoppingToken);
                failures = 0;
                if (handled >= Options.BatchSize)
                    continue;
                var next = await NextAvailableAsync(stoppingToken);
                var wait = next is { } due ? due - Time.GetUtcNow() : Options.PollInterval;
                if (wait > Options.PollInterval)
                    wait = Options.PollInterval;
                if (wait > TimeSpan.Zero)
                    await signal.WaitAsync(wait, Time, stoppingToken);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e)
            {
                failures++;
                LogLoopFailed(logger, e, GetType().Name, failures);
                await Task.Delay(Options.RetryDelay(failures), Time, stoppingToken).ContinueWith(_ => { }, TaskScheduler.Default);
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "{Loop} failed (attempt {Failures}); retrying")]
    private static partial void LogLoopFailed(ILogger logger, Exception exception, string loop, int failures);
}
