using Orleans;
using Orleans.Concurrency;
using Orleans.Runtime;

namespace Runtime.Benchmarks.Grains;

/// <summary>The Orleans benchmark grain: a count written on every call, a one-shot reminder, and where it lives.</summary>
[Alias("bench")]
public interface IOrleansBenchGrain : IGrainWithStringKey
{
    Task<long> Increment();

    [ReadOnly]
    Task<long> Count();

    /// <summary>The silo this activation lives on (its <c>RuntimeIdentity</c>, which carries the silo port).</summary>
    [ReadOnly]
    Task<string> Silo();

    /// <summary>Registers a reminder due at <paramref name="dueAt"/> that unregisters itself on its first tick.</summary>
    Task Remind(DateTimeOffset dueAt);
}

/// <summary>The Orleans bench grain's stored state (JSON in <c>grain_states</c> under <c>bench/&lt;key&gt;</c>).</summary>
[GenerateSerializer]
public sealed class OrleansBenchState
{
    [Id(0)]
    public long Count { get; set; }

    [Id(1)]
    public DateTimeOffset? DueAt { get; set; }

    [Id(2)]
    public int Fires { get; set; }

    /// <summary>How late the first tick came, measured in the grain against the due time it was given.</summary>
    [Id(3)]
    public double LatenessMs { get; set; }
}

/// <summary>Implements <see cref="IOrleansBenchGrain"/>, writing its state explicitly on every change.</summary>
public sealed class OrleansBenchGrain([PersistentState("bench")] IPersistentState<OrleansBenchState> state) : Grain, IOrleansBenchGrain, IRemindable
{
    public const string ReminderName = "due";

    /// <summary>
    /// The reminder's period. It only matters if the unregister on the first tick failed, and then a
    /// second fire shows within the benchmark's wait; Orleans refuses a period below
    /// <c>ReminderOptions.MinimumReminderPeriod</c> (1 minute by default), which the bench silo lowers.
    /// </summary>
    public static readonly TimeSpan ReminderPeriod = TimeSpan.FromSeconds(5);

    public async Task<long> Increment()
    {
        state.State.Count++;
        await state.WriteStateAsync();
        return state.State.Count;
    }

    public Task<long> Count() => Task.FromResult(state.State.Count);

    public Task<string> Silo() => Task.FromResult(RuntimeIdentity);

    public async Task Remind(DateTimeOffset dueAt)
    {
        state.State.DueAt = dueAt;
        await state.WriteStateAsync();
        // Orleans takes a due time relative to now; a due time already past fires at once and counts as late.
        var dueIn = dueAt - DateTimeOffset.UtcNow;
        await this.RegisterOrUpdateReminder(ReminderName, dueIn > TimeSpan.Zero ? dueIn : TimeSpan.Zero, ReminderPeriod);
    }

    public async Task ReceiveReminder(string reminderName, TickStatus status)
    {
        var now = DateTimeOffset.UtcNow;
        // One-shot: unregister first, so that a failure to store the fire cannot leave it ticking.
        if (await this.GetReminder(reminderName) is { } reminder)
            await this.UnregisterReminder(reminder);
        state.State.Fires++;
        if (state.State.Fires == 1 && state.State.DueAt is { } due)
            state.State.LatenessMs = (now - due).TotalMilliseconds;
        await state.WriteStateAsync();
    }
}
