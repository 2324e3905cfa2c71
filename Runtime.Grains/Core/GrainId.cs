namespace Runtime.Grains;

/// <summary>A grain's address: its registered type name and its key (<c>workspace/5f0c…</c>).</summary>
public readonly record struct GrainId(string Type, string Key)
{
    public override string ToString() => $"{Type}/{Key}";
}

/// <summary>Marker for grain interfaces. Methods return <see cref="Task"/> or <see cref="Task{T}"/>; names are unique.</summary>
public interface IGrain;

/// <summary>A grain addressed by a <see cref="Guid"/>.</summary>
public interface IGrainWithGuidKey : IGrain;

/// <summary>A grain addressed by a string.</summary>
public interface IGrainWithStringKey : IGrain;

/// <summary>Gets references to grains. A reference is cheap; every method call on it is one grain call.</summary>
public interface IGrainFactory
{
    TGrain Get<TGrain>(Guid key) where TGrain : IGrainWithGuidKey;

    TGrain Get<TGrain>(string key) where TGrain : IGrainWithStringKey;
}

/// <summary>
/// Marks a grain method that only reads: it sees the last committed state without taking the
/// grain's lock, does not bump the version and cannot emit messages or change reminders.
/// </summary>
[AttributeUsage(AttributeTargets.Method)]
public sealed class ReadOnlyAttribute : Attribute;
