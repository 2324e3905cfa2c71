using System.Text;
using System.Text.RegularExpressions;

namespace Runtime.Grains.Settings;

/// <summary>What names and values settings may have, so that each becomes a well-formed environment variable.</summary>
public static partial class SettingNames
{
    public const string NameRule = "letters, digits and underscores, starting with a letter or underscore, at most 128";

    public const string ValueRule = "Values are at most 32 KiB and cannot contain a NUL character.";

    // What the platform or the app-type templates set; a setting may not replace them.
    private static readonly HashSet<string> Reserved = new(StringComparer.Ordinal)
    {
        "PATH", "HOME", "USER", "SHELL", "PWD", "HOST", "PORT", "LANG", "TZ", "VIRTUAL_ENV", "PYTHONHOME", "PYTHONPATH",
        "LD_PRELOAD", "LD_LIBRARY_PATH", "DASH_URL_BASE_PATHNAME", "WEBUI_URL", "AIRFLOW_HOME",
    };

    public static bool IsName(string? name) => name is not null && EnvironmentName().IsMatch(name);

    public static bool IsFieldName(string name) => FieldName().IsMatch(name);

    public static bool IsValue(string value) => value.Length <= 32 * 1024 && !value.Contains('\0');

    /// <summary>Why <paramref name="name"/> cannot name a variable or secret, or null when it can.</summary>
    public static string? Problem(string? name)
    {
        if (!IsName(name))
            return $"'{Shorten(name ?? "")}' is not a valid name: {NameRule}.";
        if (Reserved.Contains(name!) || name!.StartsWith("RUNTIME_", StringComparison.Ordinal) || name.StartsWith("AIRFLOW__", StringComparison.Ordinal))
            return $"{name} is set by Runtime for every app; choose another name.";
        return null;
    }

    /// <summary>The prefix of a connection's variables: <c>warehouse</c> → <c>WAREHOUSE_</c>.</summary>
    public static string EnvironmentPrefix(string connection) => connection.ToUpperInvariant() + "_";

    /// <summary><c>accessKeyId</c> → <c>ACCESS_KEY_ID</c>.</summary>
    public static string UpperSnake(string field)
    {
        var text = new StringBuilder();
        foreach (var c in field)
        {
            if (char.IsUpper(c) && text.Length > 0)
                text.Append('_');
            text.Append(char.ToUpperInvariant(c));
        }
        return text.ToString();
    }

    public static string Shorten(string value) => value.Length <= 40 ? value : value[..40] + "…";

    [GeneratedRegex("^[A-Za-z_][A-Za-z0-9_]{0,127}$")]
    private static partial Regex EnvironmentName();

    [GeneratedRegex("^[A-Za-z][A-Za-z0-9]{0,63}$")]
    private static partial Regex FieldName();
}
