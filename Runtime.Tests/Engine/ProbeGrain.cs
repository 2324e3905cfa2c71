using Orleans;
using Orleans.Runtime;
using Runtime.Grains;
using Runtime.Grains.Assignments;
using Runtime.Grains.Engine;
using Runtime.Grains.Reminders;

namespace Runtime.Tests.Engine;

/// <summary>A test grain on Runtime's Orleans base: a count it changes, and messages it sends other probes.</summary>
[Alias("probe")]
public interface IProbeGrain : Orleans.IGrainWithStringKey
{
    Task<int> Add(int amount);

    /// <summary>Adds; the form a message takes (messages return nothing).</summary>
    Task Receive(int amount);

    /// <summary>Adds, then refuses: the addition must not survive.</summary>
    Task Fail(int amount);

    /// <summary>Sends <paramref name="target"/> an Add as a message.</summary>
    Task Tell(string target, int amount);

    /// <summary>Sends <paramref name="target"/> an Add as a message due after <paramref name="delay"/>.</summary>
    Task TellLater(string target, int amount, TimeSpan delay);

    [Orleans.Concurrency.ReadOnly]
    Task<int> Count();

    /// <summary>Registers a reminder due after <paramref name="delay"/>, then every <paramref name="delay"/> when <paramref name="repeat"/>.</summary>
    Task Remind(string name, TimeSpan delay, bool repeat);

    Task Forget(string name);

    /// <summary>Starts a <see cref="ProbeWork"/> activity, which reports back with <see cref="Worked"/>.</summary>
    Task Work(string value);

    Task Worked(string value);

    /// <summary>Queues an assignment of <paramref name="workload"/> for <paramref name="environment"/>; with <paramref name="refuse"/> the call then fails.</summary>
    Task<Guid> Queue(string environment, string workload, bool refuse);

    /// <summary>Counts, and writes row <paramref name="id"/> of <paramref name="table"/> with <paramref name="note"/> (inserted, or updated when <paramref name="update"/>); with <paramref name="refuse"/> the call then fails.</summary>
    Task Note(string table, Guid id, string note, bool update, bool refuse);

    [Orleans.Concurrency.ReadOnly]
    Task<ProbeView> View();
}

/// <summary>What a probe has seen.</summary>
[GenerateSerializer]
public sealed record ProbeView(int Count, IReadOnlyList<ReminderTick> Ticks, IReadOnlyList<string> Worked);

/// <summary>The probe's stored state.</summary>
public sealed class ProbeState
{
    public int Count { get; set; }

    public List<ReminderTick> Ticks { get; set; } = [];

    public List<string> Worked { get; set; } = [];
}

/// <summary>The probe's activity: slow work done outside the grain, reported back.</summary>
public sealed record ProbeWork(string Probe, string Value);

/// <summary>Runs <see cref="ProbeWork"/>: tells the probe, as any activity reports its result.</summary>
public sealed class ProbeWorkActivity : Runtime.Grains.Activities.IActivity<ProbeWork>
{
    public Task RunAsync(ProbeWork payload, Runtime.Grains.Activities.ActivityRun run, CancellationToken cancellationToken) =>
        run.Grains.GetGrain<IProbeGrain>(payload.Probe).Worked(payload.Value);
}

[GrainType("probe")]
public sealed class ProbeGrain([PersistentState("probe")] IPersistentState<GrainRecord<ProbeState>> record)
    : RuntimeGrain<ProbeState>(record), IProbeGrain, Runtime.Grains.Reminders.IRemindable
{
    public Task Remind(string name, TimeSpan delay, bool repeat)
    {
        Context.RegisterReminder(name, repeat ? ReminderSchedule.Every(delay) : ReminderSchedule.After(delay));
        return Task.CompletedTask;
    }

    public Task Forget(string name)
    {
        Context.UnregisterReminder(name);
        return Task.CompletedTask;
    }

    public Task ReceiveReminder(string name, ReminderTick tick)
    {
        State.Ticks.Add(tick);
        return Task.CompletedTask;
    }

    public Task Work(string value)
    {
        Context.StartActivity(new ProbeWork(Context.Id.Key, value));
        return Task.CompletedTask;
    }

    public Task Worked(string value)
    {
        State.Worked.Add(value);
        return Task.CompletedTask;
    }

    public Task<Guid> Queue(string environment, string workload, bool refuse)
    {
        var id = Context.Assign(new AssignmentRequest(environment, workload, "start", System.Text.Json.JsonSerializer.SerializeToElement(new { probe = Context.Id.Key })));
        State.Count++;
        if (refuse)
            throw new ConflictException("Refused", "The probe refuses after queueing work.");
        return Task.FromResult(id);
    }

    public Task Note(string table, Guid id, string note, bool update, bool refuse)
    {
        State.Count++;
        if (update)
            Context.UpdateRow(table, id, new Dictionary<string, object?> { ["note"] = note });
        else
            Context.InsertRow(table, new Dictionary<string, object?> { ["id"] = id, ["probe"] = Context.Id.Key, ["note"] = note, ["noted_at"] = Context.Now });
        if (refuse)
            throw new ConflictException("Refused", "The probe refuses after writing a row.");
        return Task.CompletedTask;
    }

    public Task<ProbeView> View() => Task.FromResult(new ProbeView(State.Count, State.Ticks, State.Worked));

    public Task<int> Add(int amount)
    {
        State.Count += amount;
        return Task.FromResult(State.Count);
    }

    public Task Receive(int amount)
    {
        State.Count += amount;
        return Task.CompletedTask;
    }

    public Task Fail(int amount)
    {
        State.Count += amount;
        throw new ConflictException("Refused", "The probe refuses after changing its state.");
    }

    public Task Tell(string target, int amount) => Context.Send<IProbeGrain>(target).Receive(amount);

    public Task TellLater(string target, int amount, TimeSpan delay) => Context.SendAt<IProbeGrain>(target, Context.Now + delay).Receive(amount);

    public Task<int> Count() => Task.FromResult(State.Count);
}
