namespace Runtime.Grains;

/// <summary>
/// Base of every grain class. An instance lives for one call: it is created, given the state loaded
/// under the grain's lock, invoked, and its (possibly replaced) state is written back in the same
/// transaction. Constructor parameters come from dependency injection.
/// </summary>
public abstract class Grain<TState> : IGrainActivation where TState : class, new()
{
    /// <summary>The grain's state; a new instance when the grain has never been written.</summary>
    protected TState State { get; set; } = null!;

    /// <summary>This call's context: identity, clock, outbox.</summary>
    protected GrainContext Context { get; private set; } = null!;

    /// <summary>True when the grain had been written before this call.</summary>
    protected bool Exists => Context.Version > 0;

    object IGrainActivation.State => State;

    void IGrainActivation.Attach(GrainContext context, object state)
    {
        Context = context;
        State = (TState)state;
    }
}

/// <summary>What the runtime needs from a grain instance, whatever its state type.</summary>
internal interface IGrainActivation
{
    object State { get; }

    void Attach(GrainContext context, object state);
}
