namespace Runtime.Execution.Logs;

/// <summary>
/// Hides a workload's own secret values in the lines it prints, whichever executor ran it: each value
/// becomes <c>***</c>, the longest first, so that a secret containing another is hidden whole.
/// </summary>
public sealed class SecretMask(IEnumerable<string>? secrets)
{
    public const string Replacement = "***";

    private readonly string[] _secrets = (secrets ?? []).Where(s => s.Length > 0).Distinct().OrderByDescending(s => s.Length).ToArray();

    public string Apply(string text)
    {
        foreach (var secret in _secrets)
            text = text.Replace(secret, Replacement, StringComparison.Ordinal);
        return text;
    }
}
