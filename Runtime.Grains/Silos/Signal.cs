namespace Runtime.Grains.Silos;

/// <summary>An auto-reset wake-up: a Set while nobody waits is kept for the next wait, so no notification is lost.</summary>
public sealed class Signal
{
    private TaskCompletionSource _source = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public void Set() => Volatile.Read(ref _source).TrySetResult();

    /// <summary>Waits until <see cref="Set"/> or <paramref name="timeout"/>; true when signalled.</summary>
    public async Task<bool> WaitAsync(TimeSpan timeout, TimeProvider time, CancellationToken cancellationToken)
    {
        var source = Volatile.Read(ref _source);
        if (!source.Task.IsCompleted && timeout > TimeSpan.Zero)
        {
            using var cancel = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            var delay = Task.Delay(timeout, time, cancel.Token);
            await Task.WhenAny(source.Task, delay).ConfigureAwait(false);
            cancel.Cancel();
            cancellationToken.ThrowIfCancellationRequested();
        }
        if (!source.Task.IsCompleted)
            return false;
        Interlocked.CompareExchange(ref _source, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously), source);
        return true;
    }
}

/// <summary>The wake-ups of this silo, set by LISTEN/NOTIFY.</summary>
public sealed class DeliverySignals
{
    /// <summary>Wakes the embedded agent when work for an environment is queued.</summary>
    public Signal Assignments { get; } = new();

    public void SetAll() => Assignments.Set();
}

/// <summary>This silo process's identity in the membership table and on its claims.</summary>
public sealed class SiloIdentity(string name)
{
    public Guid Id { get; } = Guid.CreateVersion7();

    /// <summary>A readable name for logs and the membership table (<c>silo-1</c>).</summary>
    public string Name { get; } = name;

    public override string ToString() => $"{Name} ({Id})";
}
