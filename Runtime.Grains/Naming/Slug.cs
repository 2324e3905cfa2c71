using System.Text;
using System.Text.RegularExpressions;

namespace Runtime.Grains.Naming;

/// <summary>URL-safe names (DESIGN §6): lower-case letters, digits and dashes, starting with a letter or digit, at most 63.</summary>
public static partial class Slug
{
    public const string Rule = "lower-case letters, digits and '-', starting with a letter or digit, at most 63 characters";

    public static bool IsValid(string? value) => value is not null && Pattern().IsMatch(value);

    /// <summary>A slug made from a display name ("Sales Dashboard!" → "sales-dashboard"); "x" when nothing usable is left.</summary>
    public static string From(string name)
    {
        var builder = new StringBuilder();
        foreach (var c in name.Normalize(NormalizationForm.FormD).ToLowerInvariant())
        {
            if (c is >= 'a' and <= 'z' or >= '0' and <= '9')
                builder.Append(c);
            else if (char.GetUnicodeCategory(c) != System.Globalization.UnicodeCategory.NonSpacingMark && builder.Length > 0 && builder[^1] != '-')
                builder.Append('-');
        }
        var slug = builder.ToString().Trim('-');
        if (slug.Length > 63)
            slug = slug[..63].TrimEnd('-');
        return slug.Length == 0 ? "x" : slug;
    }

    [GeneratedRegex("^[a-z0-9][a-z0-9-]{0,62}$")]
    private static partial Regex Pattern();
}
