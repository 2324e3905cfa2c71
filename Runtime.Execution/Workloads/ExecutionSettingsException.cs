namespace Runtime.Execution.Workloads;

/// <summary>
/// Bad execution settings at start-up (<c>EXECUTION_MAX_MEMORY_MB=abc</c>): every bad one, each naming the
/// variable it came from and what it accepts, so that the operator fixes them all at once.
/// </summary>
public sealed class ExecutionSettingsException(IReadOnlyList<string> errors)
    : Exception("Bad execution settings:\n- " + string.Join("\n- ", errors))
{
    public IReadOnlyList<string> Errors { get; } = errors;
}

/// <summary>
/// A project's or job's execution request asks for more than the operator allows, or for something this
/// agent lacks; <see cref="Errors"/> maps each bad field to what is wrong with it.
/// </summary>
public sealed class ExecutionRequestException(IReadOnlyDictionary<string, string[]> errors)
    : ArgumentException(string.Join(" ", errors.SelectMany(e => e.Value)))
{
    public IReadOnlyDictionary<string, string[]> Errors { get; } = errors;
}
