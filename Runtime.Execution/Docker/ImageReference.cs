using System.Text.RegularExpressions;

namespace Runtime.Execution.Docker;

/// <summary>
/// A Docker image reference (<c>[registry[:port]/]path[:tag][@digest]</c>) checked against Docker's own
/// grammar, so that a bad image name is refused where it is configured, naming it, rather than by the
/// engine at the first start.
/// </summary>
/// <param name="Repository">The name without registry, tag or digest, e.g. <c>runtime-python</c>.</param>
public sealed partial record ImageReference(string Name, string Repository, string? Tag, string? Digest)
{
    private const string Alphanumeric = "[a-z0-9]+";
    private const string Separator = "(?:[._]|__|-+)";
    private const string PathComponent = Alphanumeric + "(?:" + Separator + Alphanumeric + ")*";
    private const string DomainComponent = "(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])";
    private const string Domain = DomainComponent + @"(?:\." + DomainComponent + ")*(?::[0-9]+)?";
    private const string NamePattern = "(?:" + Domain + "/)?" + PathComponent + "(?:/" + PathComponent + ")*";
    private const string TagPattern = "[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}";
    private const string DigestPattern = "[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,}";

    /// <summary>Docker refuses longer names.</summary>
    private const int MaxNameLength = 255;

    /// <summary>The reference, or null with <paramref name="problem"/> saying what is wrong.</summary>
    public static ImageReference? TryParse(string? text, out string? problem)
    {
        problem = null;
        if (string.IsNullOrWhiteSpace(text))
        {
            problem = "the image name is empty";
            return null;
        }
        var match = Reference().Match(text);
        if (!match.Success)
        {
            problem = $"'{text}' is not a valid Docker image reference ([registry/]name[:tag][@digest], the name in lower case)";
            return null;
        }
        var name = match.Groups["name"].Value;
        if (name.Length > MaxNameLength)
        {
            problem = $"'{text}' is not a valid Docker image reference: the name is longer than {MaxNameLength} characters";
            return null;
        }
        var repository = name[(name.LastIndexOf('/') + 1)..];
        return new ImageReference(name, repository, match.Groups["tag"] is { Success: true } tag ? tag.Value : null,
            match.Groups["digest"] is { Success: true } digest ? digest.Value : null);
    }

    /// <exception cref="ArgumentException">Not a valid reference; the message names it.</exception>
    public static ImageReference Parse(string? text, string parameterName) =>
        TryParse(text, out var problem) ?? throw new ArgumentException(Capitalized(problem!) + ".", parameterName);

    private static string Capitalized(string text) => char.ToUpperInvariant(text[0]) + text[1..];

    [GeneratedRegex("^(?<name>" + NamePattern + ")(?::(?<tag>" + TagPattern + "))?(?:@(?<digest>" + DigestPattern + "))?$")]
    private static partial Regex Reference();
}
