using System.Collections.Concurrent;
using Runtime.Execution.Logs;

namespace Runtime.Tests.Docker;

/// <summary>Keeps a workload's lines and lets a test await the first line that matches, without polling.</summary>
public sealed class LineSink : ILogSink
{
    private readonly ConcurrentQueue<LogLine> _lines = new();
    private readonly List<(Func<LogLine, bool> Match, TaskCompletionSource<LogLine> Seen)> _waiting = [];
    private readonly Lock _gate = new();

    public IReadOnlyList<LogLine> Lines => [.. _lines];

    public void Write(LogLine line)
    {
        lock (_gate)
        {
            _lines.Enqueue(line);
            foreach (var waiter in _waiting.Where(w => w.Match(line)).ToList())
            {
                waiter.Seen.TrySetResult(line);
                _waiting.Remove(waiter);
            }
        }
    }

    /// <summary>The first line (already written or still to come) that matches.</summary>
    public Task<LogLine> WaitForAsync(Func<LogLine, bool> match, TimeSpan timeout, string what)
    {
        lock (_gate)
        {
            if (_lines.FirstOrDefault(match) is { } seen)
                return Task.FromResult(seen);
            var waiter = new TaskCompletionSource<LogLine>(TaskCreationOptions.RunContinuationsAsynchronously);
            _waiting.Add((match, waiter));
            return waiter.Task.WaitAsync(timeout).ContinueWith(t => t.IsFaulted && t.Exception!.InnerException is TimeoutException
                ? throw new TimeoutException($"Waited {timeout} for {what}; lines: {string.Join(" | ", _lines.Select(l => $"{l.Stream}: {l.Text}"))}")
                : t.Result);
        }
    }

    public Task<LogLine> WaitForAsync(string text, TimeSpan timeout) => WaitForAsync(l => l.Text == text, timeout, $"the line '{text}'");
}
