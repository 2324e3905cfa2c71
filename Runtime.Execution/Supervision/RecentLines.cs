using System.Collections.Concurrent;
using Runtime.Execution.Logs;

namespace Runtime.Execution.Supervision;

/// <summary>Passes lines on and keeps the last few for failure reasons.</summary>
public sealed class RecentLines(ILogSink next, int keep) : ILogSink
{
    private readonly ConcurrentQueue<string> _lines = new();

    public void Write(LogLine line)
    {
        next.Write(line);
        Add(line.Text);
    }

    public void Add(string text)
    {
        _lines.Enqueue(text);
        while (_lines.Count > keep)
            _lines.TryDequeue(out _);
    }

    public string Describe() => _lines.IsEmpty ? "" : "; last lines:\n" + string.Join('\n', _lines.TakeLast(10));
}
