using System.Security.Cryptography;
using System.Text;
using System.Text.RegularExpressions;
using Runtime.Grains.Settings;

namespace Runtime.Grains.Configurations;

/// <summary>One file of a configuration version as stored: plain files in the clear, secret files encrypted.</summary>
[Orleans.GenerateSerializer]
public sealed record StoredConfigurationFile(string Hash, int Size, bool Secret, string? Text, string? Encrypted);

/// <summary>What the API shows of a file: never its content.</summary>
[Orleans.GenerateSerializer]
public sealed record ConfigurationFileView(string Name, string Hash, int Size, bool Secret);

[Orleans.GenerateSerializer]
public sealed record ConfigurationVersionView(int Version, string Hash, IReadOnlyList<ConfigurationFileView> Files, DateTimeOffset CreatedAt, string CreatedBy);

/// <summary>
/// The dlt-style files a configuration version holds (DESIGN §1): <c>config.toml</c>, <c>secrets.toml</c> and
/// their per-profile variants (<c>prod.config.toml</c>, <c>prod.secrets.toml</c> …). A run gets the shared
/// files and its own profile's, written into <c>.dlt/</c> of its working directory.
/// </summary>
public static partial class ConfigurationFiles
{
    public const int MaxFileBytes = 256 * 1024;

    public static bool IsSecret(string name) => name.EndsWith("secrets.toml", StringComparison.Ordinal);

    /// <summary>Checks the names and sizes; errors name the file, never its content.</summary>
    public static void Validate(IReadOnlyDictionary<string, string?>? files)
    {
        var validation = new Validation();
        if (files is null || files.Count == 0)
            throw new ValidationException("files", "Send {\"files\": {\"config.toml\": \"…\", \"prod.secrets.toml\": \"…\"}} with at least one file.");
        foreach (var (name, text) in files)
        {
            if (!FileName().IsMatch(name) || name.Split('.') is [var profile, _, _] && !Profiles.All.Contains(profile))
                validation.Add($"files.{name}", $"'{(name.Length > 40 ? name[..40] + "…" : name)}' is not a configuration file: use config.toml, secrets.toml or <profile>.config.toml / <profile>.secrets.toml with a profile of {string.Join(", ", Profiles.All)}.");
            else if (text is null || Encoding.UTF8.GetByteCount(text) > MaxFileBytes || text.Contains('\0'))
                validation.Add($"files.{name}", $"{name} must be text of at most {MaxFileBytes / 1024} KiB.");
        }
        validation.ThrowIfInvalid();
    }

    /// <summary>The files a run of <paramref name="profile"/> gets.</summary>
    public static bool IsFor(string name, string profile) => name.Split('.').Length == 2 || name.StartsWith(profile + ".", StringComparison.Ordinal);

    public static string Hash(string text) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text)));

    /// <summary>The string values of a secrets file (<c>key = "value"</c>), to mask them in the run's log.</summary>
    public static IEnumerable<string> SecretValues(string toml) =>
        StringValue().Matches(toml).Select(m => m.Groups[1].Value).Where(v => v.Length >= 4);

    [GeneratedRegex(@"^([a-z]+\.)?(config|secrets)\.toml$")]
    private static partial Regex FileName();

    [GeneratedRegex("""^\s*[A-Za-z0-9_.\-"]+\s*=\s*["']([^"'\r\n]*)["']\s*$""", RegexOptions.Multiline)]
    private static partial Regex StringValue();
}
