using Runtime.Grains;
using Runtime.Grains.Activities;
using Runtime.Grains.Assignments;
using Runtime.Grains.Reminders;

namespace Runtime.Tests.Grains;

public sealed class CounterState
{
    public long Count { get; set; }

    public List<ReminderFire> Fires { get; set; } = [];

    public List<int> WorkAttempts { get; set; } = [];
}

public sealed class CounterGrain : Grain<CounterState>, ICounterGrain, IRemindable
{
    public Task<long> Increment() => Task.FromResult(++State.Count);

    public Task Add(long amount)
    {
        State.Count += amount;
        return Task.CompletedTask;
    }

    public Task<CounterView> Get() =>
        Task.FromResult(new CounterView(State.Count, Context.Version, State.Fires, State.WorkAttempts));

    public Task Remind(string name, ReminderSchedule schedule)
    {
        Context.RegisterReminder(name, schedule);
        return Task.CompletedTask;
    }

    public Task Forget(string name)
    {
        Context.UnregisterReminder(name);
        return Task.CompletedTask;
    }

    public async Task SendIncrement(string target, DateTimeOffset? dueAt)
    {
        var proxy = dueAt is { } at ? Context.SendAt<ICounterGrain>(target, at) : Context.Send<ICounterGrain>(target);
        await proxy.Add(1);
    }

    public async Task SendIncrementThenFail(string target)
    {
        await Context.Send<ICounterGrain>(target).Add(1);
        throw new InvalidOperationException("failing after the message was recorded");
    }

    public Task StartWork(int millis, int failFirstAttempts)
    {
        Context.StartActivity(new SlowWork(Context.Id.Key, millis, failFirstAttempts));
        return Task.CompletedTask;
    }

    public Task WorkDone(long activityId, int attempt)
    {
        State.WorkAttempts.Add(attempt);
        return Task.CompletedTask;
    }

    public Task<IllegalMove> Break() =>
        throw new IllegalTransitionException("counter", "Counting", "break", "Counters cannot break; stop them first.");

    public Task<Guid> AssignWork(string environment, string workload) =>
        Task.FromResult(Context.Assign(new AssignmentRequest(environment, workload, "start",
            System.Text.Json.JsonSerializer.SerializeToElement(new { counter = Context.Id.Key }))));

    public Task ReceiveReminder(string name, ReminderTick tick)
    {
        State.Fires.Add(new ReminderFire(name, tick.DueAt, tick.FiredAt));
        return Task.CompletedTask;
    }
}

/// <summary>Sleeps outside the grain's lock, fails its first attempts if asked, then reports back.</summary>
public sealed class SlowWorkActivity : IActivity<SlowWork>
{
    public async Task RunAsync(SlowWork payload, ActivityRun run, CancellationToken cancellationToken)
    {
        await Task.Delay(payload.Millis, cancellationToken);
        if (run.Attempt <= payload.FailFirstAttempts)
            throw new InvalidOperationException($"attempt {run.Attempt} fails on purpose");
        await run.Grains.Get<ICounterGrain>(payload.Counter).WorkDone(run.Id, run.Attempt);
    }
}
