using System.Threading.Channels;
using Runtime.Execution.Logs;
using Runtime.Grains.Logs;

namespace Runtime.Silo.Agent;

/// <summary>
/// Takes workloads' lines as they are printed and writes them to the log store: a line printed while the
/// shipper is idle is written at once; lines printed while a write is under way go together in the next
/// (up to <see cref="BatchSize"/> per write), so a busy workload costs few writes.
/// </summary>
public sealed partial class LogShipper(WorkloadLogStore store, ILogger<LogShipper> logger) : BackgroundService, ILogSink
{
    public const int BatchSize = 1000;

    private readonly Channel<LogLine> _lines = Channel.CreateUnbounded<LogLine>(new UnboundedChannelOptions { SingleReader = true });

    private long _queued;
    private long _stored;

    public void Write(LogLine line)
    {
        Interlocked.Increment(ref _queued);
        _lines.Writer.TryWrite(line);
    }

    /// <summary>Waits until every line written so far is stored (at most <paramref name="timeout"/>): a run's log is complete when it ends.</summary>
    public async Task FlushAsync(TimeSpan timeout)
    {
        var target = Interlocked.Read(ref _queued);
        var deadline = DateTime.UtcNow + timeout;
        while (Interlocked.Read(ref _stored) < target && DateTime.UtcNow < deadline)
            await Task.Delay(10);
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var batch = new List<(string, string, DateTimeOffset, string)>();
        while (await WaitAsync(stoppingToken))
        {
            while (batch.Count < BatchSize && _lines.Reader.TryRead(out var line))
                batch.Add((line.WorkloadId, line.Stream, line.At, line.Text));
            try
            {
                await store.AppendAsync(batch, CancellationToken.None);
                Interlocked.Add(ref _stored, batch.Count);
                batch.Clear();
            }
            catch (Npgsql.NpgsqlException e)
            {
                LogRetry(e, batch.Count);
                await Task.Delay(1000, CancellationToken.None);
            }
        }
    }

    private async Task<bool> WaitAsync(CancellationToken stoppingToken)
    {
        try
        {
            return await _lines.Reader.WaitToReadAsync(stoppingToken);
        }
        catch (OperationCanceledException)
        {
            // Shutting down: ship what is left.
            return _lines.Reader.TryPeek(out _);
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not store {Count} log lines; retrying")]
    private partial void LogRetry(Exception error, int count);
}
