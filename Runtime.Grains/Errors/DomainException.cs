namespace Runtime.Grains;

/// <summary>
/// A refusal the caller can act on. Grain calls throw these; the transaction rolls back and the
/// Api renders one as ProblemDetails. Anything else escaping a grain call is a fault.
/// </summary>
[Orleans.GenerateSerializer]
public abstract class DomainException(string title, string detail) : Exception(detail)
{
    /// <summary>Stable short name, the last segment of the ProblemDetails <c>type</c>.</summary>
    public abstract string Kind { get; }

    /// <summary>One line saying what went wrong.</summary>
    [Orleans.Id(0)]
    public string Title { get; } = title;

    /// <summary>What happened and what to do about it.</summary>
    public string Detail => Message;
}

/// <summary>The addressed resource does not exist (or is not visible to the caller).</summary>
[Orleans.GenerateSerializer, Orleans.Alias("error.not-found")]
public sealed class NotFoundException(string resource, string id)
    : DomainException($"{Capitalize(resource)} not found", $"No {resource} '{id}' exists in this workspace. Check the id, or list {resource}s to find it.")
{
    public override string Kind => "not-found";

    private static string Capitalize(string s) => s.Length == 0 ? s : char.ToUpperInvariant(s[0]) + s[1..];
}

/// <summary>The request contradicts the current state of things (duplicate name, last owner, ...).</summary>
[Orleans.GenerateSerializer, Orleans.Alias("error.conflict")]
public sealed class ConflictException(string title, string detail) : DomainException(title, detail)
{
    public override string Kind => "conflict";
}

/// <summary>An operation that the entity's state machine does not allow from its current state.</summary>
[Orleans.GenerateSerializer, Orleans.Alias("error.illegal-transition")]
public sealed class IllegalTransitionException(string entity, string currentState, string operation, string? hint)
    : DomainException(
        $"Cannot {operation} a {entity} that is {currentState}",
        $"The {entity} is {currentState}; '{operation}' is not allowed from that state." + (hint is null ? "" : " " + hint))
{
    public override string Kind => "illegal-transition";

    /// <summary>The state the entity was in when the operation was refused.</summary>
    [Orleans.Id(0)]
    public string CurrentState { get; } = currentState;

    /// <summary>The refused operation.</summary>
    [Orleans.Id(1)]
    public string Operation { get; } = operation;
}

/// <summary>The caller's expected version (If-Match) is not the entity's current version.</summary>
[Orleans.GenerateSerializer, Orleans.Alias("error.version-mismatch")]
public sealed class VersionMismatchException(long expected, long actual)
    : DomainException("Version mismatch", $"You sent version {expected} but the current version is {actual}. Read it again and retry.")
{
    public override string Kind => "version-mismatch";

    [Orleans.Id(0)]
    public long Expected { get; } = expected;

    [Orleans.Id(1)]
    public long Actual { get; } = actual;
}
