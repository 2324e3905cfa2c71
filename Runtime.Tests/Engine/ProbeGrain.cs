using Orleans;
using Orleans.Runtime;
using Runtime.Grains;
using Runtime.Grains.Engine;

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
}

/// <summary>The probe's stored state.</summary>
public sealed class ProbeState
{
    public int Count { get; set; }
}

[GrainType("probe")]
public sealed class ProbeGrain([PersistentState("probe")] IPersistentState<GrainRecord<ProbeState>> record)
    : RuntimeGrain<ProbeState>(record), IProbeGrain
{
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
