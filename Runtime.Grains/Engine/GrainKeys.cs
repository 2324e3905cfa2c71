namespace Runtime.Grains.Engine;

/// <summary>The names <see cref="RuntimeGrain{TState}"/> uses outside itself.</summary>
public static class GrainKeys
{
    /// <summary>The service key of a clock for the grains alone (Orleans keeps its own); tests set one.</summary>
    public const string Clock = "runtime-grains";

    /// <summary>The <c>RequestContext</c> entry that carries a delivered message's id to its receiver.</summary>
    internal const string MessageId = "runtime.message";
}
