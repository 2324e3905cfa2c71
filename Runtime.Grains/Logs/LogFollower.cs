using Runtime.Grains.Silos;

namespace Runtime.Grains.Logs;

/// <summary>One follower of a workload's log, woken when lines of it are stored; dispose it when the follower goes.</summary>
public sealed class LogFollower : IDisposable
{
    private readonly LogWakeups _wakeups;

    internal LogFollower(LogWakeups wakeups, string workloadId)
    {
        _wakeups = wakeups;
        WorkloadId = workloadId;
    }

    public string WorkloadId { get; }

    internal Signal Signal { get; } = new();

    /// <summary>
    /// Waits until lines of the workload may have been stored since the last wait, at most
    /// <paramref name="atMost"/> and never longer than the fallback poll; true when woken.
    /// </summary>
    public Task<bool> WaitAsync(TimeSpan atMost, CancellationToken ct) => _wakeups.WaitAsync(this, atMost, ct);

    public void Dispose() => _wakeups.Unfollow(this);
}
