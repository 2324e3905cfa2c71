using Runtime.Grains;
using Runtime.Grains.Reminders;

namespace Runtime.Tests.Grains;

/// <summary>A grain for exercising the runtime itself: it counts, records reminder ticks and finished work.</summary>
public interface ICounterGrain : IGrainWithStringKey
{
    Task<long> Increment();

    /// <summary>A one-way form of <see cref="Increment"/>, so it can be sent as a message.</summary>
    Task Add(long amount);

    [ReadOnly]
    Task<CounterView> Get();

    Task Remind(string name, ReminderSchedule schedule);

    Task Forget(string name);

    /// <summary>Sends Add(1) to <paramref name="target"/> as a durable message, due at <paramref name="dueAt"/> or now.</summary>
    Task SendIncrement(string target, DateTimeOffset? dueAt);

    /// <summary>Sends Add(1) to <paramref name="target"/>, then fails: the message must never be delivered.</summary>
    Task SendIncrementThenFail(string target);

    /// <summary>Starts <see cref="SlowWork"/> outside the lock; it reports back through <see cref="WorkDone"/>.</summary>
    Task StartWork(int millis, int failFirstAttempts);

    Task WorkDone(long activityId, int attempt);

    Task<IllegalMove> Break();

    /// <summary>Queues an assignment for an agent of <paramref name="environment"/>.</summary>
    Task<Guid> AssignWork(string environment, string workload);
}

public sealed record CounterView(long Count, long Version, IReadOnlyList<ReminderFire> Fires, IReadOnlyList<int> WorkAttempts);

public sealed record ReminderFire(string Name, DateTimeOffset DueAt, DateTimeOffset FiredAt);

/// <summary>Never returned: <see cref="ICounterGrain.Break"/> always throws.</summary>
public sealed record IllegalMove;

/// <summary>The payload of the counter's activity.</summary>
public sealed record SlowWork(string Counter, int Millis, int FailFirstAttempts);
