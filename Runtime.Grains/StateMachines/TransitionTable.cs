namespace Runtime.Grains.StateMachines;

/// <summary>
/// The allowed (state, operation) pairs of one entity, as data: a test can enumerate every pair and
/// see that each is either allowed or refused with a named 409.
/// </summary>
public sealed class TransitionTable<TState, TOperation>
    where TState : struct, Enum
    where TOperation : struct, Enum
{
    private readonly Dictionary<(TState, TOperation), TState> _allowed = [];
    private readonly Dictionary<(TState, TOperation), string> _hints = [];
    private readonly Dictionary<TState, string> _stateHints = [];

    public TransitionTable(string entity) => Entity = entity;

    /// <summary>The entity's name as it appears in errors ("token", "project").</summary>
    public string Entity { get; }

    /// <summary>Every allowed transition.</summary>
    public IEnumerable<(TState From, TOperation Operation, TState To)> Transitions =>
        _allowed.Select(t => (t.Key.Item1, t.Key.Item2, t.Value));

    public TransitionTable<TState, TOperation> Allow(TState from, TOperation operation, TState to)
    {
        _allowed.Add((from, operation), to);
        return this;
    }

    /// <summary>The advice a refusal of <paramref name="operation"/> in <paramref name="state"/> carries.</summary>
    public TransitionTable<TState, TOperation> Hint(TState state, TOperation operation, string hint)
    {
        _hints[(state, operation)] = hint;
        return this;
    }

    /// <summary>The advice every refusal in <paramref name="state"/> carries, unless the operation has a hint of its own.</summary>
    public TransitionTable<TState, TOperation> Hint(TState state, string hint)
    {
        _stateHints[state] = hint;
        return this;
    }

    public bool IsAllowed(TState from, TOperation operation) => _allowed.ContainsKey((from, operation));

    /// <summary>The state <paramref name="operation"/> leads to from <paramref name="from"/>, or a 409-bound refusal.</summary>
    public TState Next(TState from, TOperation operation)
    {
        if (_allowed.TryGetValue((from, operation), out var to))
            return to;
        if (!_hints.TryGetValue((from, operation), out var hint))
            _stateHints.TryGetValue(from, out hint);
        throw new IllegalTransitionException(Entity, from.ToString(), Words(operation.ToString()), hint);
    }

    // "RotateKey" reads as "rotate key" in "Cannot rotate key a ...".
    private static string Words(string pascal) =>
        string.Concat(pascal.Select((c, i) => char.IsUpper(c) ? (i == 0 ? "" : " ") + char.ToLowerInvariant(c) : c.ToString()));
}
