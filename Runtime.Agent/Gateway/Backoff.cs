namespace Runtime.Agent.Gateway;

/// <summary>Waits that double after each failure, from <see cref="First"/> up to <see cref="Max"/>, and start over after a success.</summary>
internal sealed class Backoff(TimeSpan? first = null, TimeSpan? max = null)
{
    public TimeSpan First { get; } = first ?? TimeSpan.FromSeconds(1);

    public TimeSpan Max { get; } = max ?? TimeSpan.FromSeconds(30);

    private int _failures;

    /// <summary>The wait after one more failure: 1, 2, 4, ... 30, 30 s.</summary>
    public TimeSpan Next()
    {
        var wait = TimeSpan.FromTicks(Math.Min(First.Ticks * (1L << Math.Min(_failures, 20)), Max.Ticks));
        _failures++;
        return wait;
    }

    public void Reset() => _failures = 0;
}
