using Orleans;
using Orleans.Concurrency;
using Orleans.Runtime;

namespace Runtime.Tests.Cluster;

/// <summary>A test grain on Orleans: a persisted count, and where it is active.</summary>
[Alias("tally")]
public interface ITallyGrain : IGrainWithStringKey
{
    Task<int> Increment();

    [ReadOnly]
    Task<int> Count();

    /// <summary>The silo this activation lives on (<c>host:port</c>).</summary>
    [ReadOnly]
    Task<string> Silo();
}

/// <summary>The tally's stored state (as JSON in <c>grain_states</c>).</summary>
[GenerateSerializer]
public sealed class TallyState
{
    [Id(0)]
    public int Count { get; set; }
}

/// <summary>Counts, writing its state on every increment.</summary>
public sealed class TallyGrain([PersistentState("tally")] IPersistentState<TallyState> state) : Grain, ITallyGrain
{
    public async Task<int> Increment()
    {
        state.State.Count++;
        await state.WriteStateAsync();
        return state.State.Count;
    }

    public Task<int> Count() => Task.FromResult(state.State.Count);

    public Task<string> Silo() => Task.FromResult(RuntimeIdentity);
}
