using Orleans;

namespace Runtime.Grains.Engine;

/// <summary>What every <see cref="RuntimeGrain{TState}"/> answers besides its own interface.</summary>
[Alias("runtime.grain")]
public interface IRuntimeGrain : Orleans.Runtime.IAddressable
{
    /// <summary>
    /// Catches up: forgets the messages already delivered, fires the reminders that are due (each once,
    /// however many ticks fell due meanwhile), and delivers the due messages. Its timers, its backstop
    /// reminder and the <see cref="OutboxSweeper"/> call it.
    /// </summary>
    Task Wake();
}
