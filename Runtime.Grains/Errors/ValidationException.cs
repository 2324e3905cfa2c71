namespace Runtime.Grains;

/// <summary>Input that fails validation; carries every bad field, not only the first.</summary>
[Orleans.GenerateSerializer, Orleans.Alias("error.validation")]
public sealed class ValidationException : DomainException
{
    public ValidationException(IReadOnlyDictionary<string, string[]> errors)
        : base("Invalid request", Describe(errors))
    {
        Errors = errors;
    }

    public ValidationException(string field, string error)
        : this(new Dictionary<string, string[]> { [field] = [error] })
    {
    }

    public override string Kind => "validation";

    /// <summary>Field name (as the caller spelled it) to the problems with it.</summary>
    [Orleans.Id(0)]
    public IReadOnlyDictionary<string, string[]> Errors { get; }

    private static string Describe(IReadOnlyDictionary<string, string[]> errors) =>
        "Fix these fields and retry: " + string.Join("; ", errors.Select(e => $"{e.Key}: {string.Join(" ", e.Value)}"));
}

/// <summary>Collects validation errors so that a request learns about every bad field at once.</summary>
public sealed class Validation
{
    private readonly Dictionary<string, List<string>> _errors = new(StringComparer.Ordinal);

    public bool IsValid => _errors.Count == 0;

    public Validation Add(string field, string error)
    {
        if (!_errors.TryGetValue(field, out var list))
            _errors[field] = list = [];
        list.Add(error);
        return this;
    }

    /// <summary>Records <paramref name="error"/> for <paramref name="field"/> when <paramref name="condition"/> is false.</summary>
    public Validation Require(bool condition, string field, string error) => condition ? this : Add(field, error);

    /// <summary>Throws a <see cref="ValidationException"/> with everything collected, if anything was.</summary>
    public void ThrowIfInvalid()
    {
        if (!IsValid)
            throw new ValidationException(_errors.ToDictionary(e => e.Key, e => e.Value.ToArray()));
    }
}
