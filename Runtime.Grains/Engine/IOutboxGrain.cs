using Orleans;

namespace Runtime.Grains.Engine;

/// <summary>What every <see cref="RuntimeGrain{TState}"/> answers besides its own interface: deliver what its record still holds.</summary>
[Alias("runtime.outbox")]
public interface IOutboxGrain : Orleans.Runtime.IAddressable
{
    /// <summary>Forgets the messages already delivered (writing the record), and delivers the due ones that are not.</summary>
    Task Flush();
}
