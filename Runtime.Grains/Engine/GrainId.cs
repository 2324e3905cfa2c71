namespace Runtime.Grains;

/// <summary>A grain's address as Runtime writes it: its type name and its key (<c>project/5f0c…</c>), as assignments record their owner.</summary>
public readonly record struct GrainId(string Type, string Key)
{
    public override string ToString() => $"{Type}/{Key}";
}
