using System.Collections.Concurrent;
using System.Diagnostics;
using Microsoft.Extensions.Logging;

namespace Runtime.Tests.Infrastructure;

/// <summary>
/// Everything the in-process hosts log and trace while a recording is open: each log line formatted
/// with its exception, each finished activity with its name, tags, events and status. Tests scan it
/// for what must never be there (secrets).
/// </summary>
public sealed class Recording : IDisposable
{
    private static readonly ConcurrentDictionary<Recording, byte> Open = new();
    private static readonly ActivityListener Listener = CreateListener();

    private readonly ConcurrentQueue<string> _entries = new();

    private Recording() => Open[this] = 0;

    public IReadOnlyCollection<string> Entries => _entries;

    public static Recording Start()
    {
        _ = Listener;
        return new Recording();
    }

    public void Dispose() => Open.TryRemove(this, out _);

    internal static void Add(string entry)
    {
        foreach (var recording in Open.Keys)
            recording._entries.Enqueue(entry);
    }

    private static ActivityListener CreateListener()
    {
        var listener = new ActivityListener
        {
            ShouldListenTo = _ => true,
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
            ActivityStopped = activity =>
            {
                if (Open.IsEmpty)
                    return;
                var tags = string.Join(' ', activity.TagObjects.Select(t => $"{t.Key}={t.Value}"));
                var events = string.Join(' ', activity.Events.Select(e => e.Name + " " + string.Join(' ', e.Tags.Select(t => $"{t.Key}={t.Value}"))));
                Add($"trace {activity.Source.Name} {activity.DisplayName} {tags} {events} {activity.StatusDescription}");
            },
        };
        ActivitySource.AddActivityListener(listener);
        return listener;
    }
}

/// <summary>The logger provider the test hosts add, feeding open <see cref="Recording"/>s.</summary>
public sealed class RecordingLoggerProvider : ILoggerProvider
{
    public ILogger CreateLogger(string categoryName) => new RecordingLogger(categoryName);

    public void Dispose()
    {
    }

    private sealed class RecordingLogger(string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            var structured = state is IEnumerable<KeyValuePair<string, object?>> pairs ? string.Join(' ', pairs.Select(p => $"{p.Key}={p.Value}")) : "";
            Recording.Add($"log {logLevel} {category} {formatter(state, exception)} {structured} {exception}");
        }
    }
}
