using Runtime.Agent.Gateway;
using Runtime.Execution.Agents;
using Runtime.Execution.Logs;

namespace Runtime.Agent.Logs;

/// <summary>
/// Ships workloads' lines to the Api (<see cref="AgentGateway.Logs"/>) in order: a line printed while the
/// uploader is idle goes at once, and lines printed while a batch is on its way go together in the next
/// (up to <see cref="BatchSize"/> lines). A batch leaves the queue only once
/// the Api took it, so an unreachable Api loses nothing until <see cref="Capacity"/> lines wait; past
/// that the oldest are dropped (with a warning) rather than the agent's memory filling up.
/// </summary>
internal sealed partial class LogUploader(GatewayClient client, TimeProvider time, ILogger<LogUploader> logger) : BackgroundService, ILogSink
{
    public const int BatchSize = 1000;
    public const int Capacity = 100_000;

    private readonly Lock _gate = new();
    private readonly Queue<(long Sequence, AgentLogLine Line)> _queue = new();
    private readonly Backoff _backoff = new();
    private TaskCompletionSource _arrived = NewSignal();
    private TaskCompletionSource _progress = NewSignal();
    private long _written;
    private long _done; // every line up to this sequence number was shipped or dropped
    private long _dropped;

    /// <summary>Lines waiting to be shipped.</summary>
    public int Pending
    {
        get
        {
            lock (_gate)
                return _queue.Count;
        }
    }

    /// <summary>Lines dropped because the queue was full.</summary>
    public long Dropped => Interlocked.Read(ref _dropped);

    public void Write(LogLine line)
    {
        lock (_gate)
        {
            if (_queue.Count >= Capacity)
            {
                var (sequence, _) = _queue.Dequeue();
                _done = Math.Max(_done, sequence);
                if (_dropped++ % 10_000 == 0)
                    LogDropping(Capacity);
            }
            _queue.Enqueue((++_written, new AgentLogLine(line.WorkloadId, line.Stream, line.At, line.Text)));
            _arrived.TrySetResult();
        }
    }

    /// <summary>Waits (at most <paramref name="timeout"/>) until every line written so far was shipped; false when some were not.</summary>
    public async Task<bool> FlushAsync(TimeSpan timeout, CancellationToken ct = default)
    {
        long target;
        lock (_gate)
            target = _written;
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(ct);
        deadline.CancelAfter(timeout);
        while (true)
        {
            Task progress;
            lock (_gate)
            {
                if (_done >= target)
                    return true;
                progress = _progress.Task;
            }
            try
            {
                await progress.WaitAsync(deadline.Token);
            }
            catch (OperationCanceledException)
            {
                return false;
            }
        }
    }

    /// <summary>Ships one batch of what waits (none when nothing does); returns how many lines the Api took.</summary>
    public async Task<int> ShipOnceAsync(CancellationToken ct)
    {
        List<(long Sequence, AgentLogLine Line)> batch;
        lock (_gate)
            batch = _queue.Take(BatchSize).ToList();
        if (batch.Count == 0)
            return 0;
        var last = batch[^1].Sequence;
        try
        {
            await client.SendLogsAsync(batch.Select(b => b.Line).ToList(), ct);
        }
        catch (GatewayException e) when (!e.IsTransient)
        {
            // The Api will never take this batch (malformed, too large): holding it would stop every later line.
            LogBatchRefused(batch.Count, e.Message);
        }
        Done(last);
        return batch.Count;
    }

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        // Ship what the workloads printed before the agent goes; its apps keep running and printing to their files.
        if (!await FlushAsync(TimeSpan.FromSeconds(10), cancellationToken))
            LogUnflushed(Pending);
        await base.StopAsync(cancellationToken);
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await WaitForLinesAsync(stoppingToken);
                await ShipOnceAsync(stoppingToken);
                _backoff.Reset();
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e) when (e is GatewayException or HttpRequestException or TimeoutException or IOException)
            {
                var wait = _backoff.Next();
                LogRetrying(Pending, e.Message, wait.TotalSeconds);
                try
                {
                    await Task.Delay(wait, time, stoppingToken);
                }
                catch (OperationCanceledException)
                {
                    return;
                }
            }
        }
    }

    // Until lines wait, and no longer: waiting for more would only delay the first.
    private Task WaitForLinesAsync(CancellationToken ct)
    {
        lock (_gate)
            return _queue.Count > 0 ? Task.CompletedTask : (_arrived = NewSignal()).Task.WaitAsync(ct);
    }

    private void Done(long sequence)
    {
        lock (_gate)
        {
            while (_queue.TryPeek(out var head) && head.Sequence <= sequence)
                _queue.Dequeue();
            _done = Math.Max(_done, sequence);
            var progress = _progress;
            _progress = NewSignal();
            progress.TrySetResult();
        }
    }

    private static TaskCompletionSource NewSignal() => new(TaskCreationOptions.RunContinuationsAsynchronously);
}
