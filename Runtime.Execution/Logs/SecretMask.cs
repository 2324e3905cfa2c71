namespace Runtime.Execution.Logs;

/// <summary>
/// The one place a workload's secret values are masked: each occurrence in a line becomes <c>***</c>, the
/// longest first, so that a secret holding a shorter one is masked whole. Every path a workload's text takes
/// to a log (its output, its Python environment's build) goes through it.
/// </summary>
public sealed class SecretMask
{
    public const string Mask = "***";

    private readonly string[] _secrets;

    public SecretMask(IEnumerable<string>? secrets) =>
        _secrets = (secrets ?? []).Where(s => s.Length > 0).Distinct(StringComparer.Ordinal).OrderByDescending(s => s.Length).ToArray();

    public string Apply(string text)
    {
        foreach (var secret in _secrets)
            text = text.Replace(secret, Mask, StringComparison.Ordinal);
        return text;
    }
}
