using System.Text.RegularExpressions;

namespace Runtime.Grains.Sources;

/// <summary>
/// Checks of what users give us that reaches git (DESIGN §6): repository URLs, branch names and paths
/// inside a repository. Whatever passes is still passed to git as an argument vector, never a shell string.
/// </summary>
public static partial class GitInput
{
    /// <summary>
    /// https://, ssh:// and scp-like <c>user@host:path</c> URLs; <c>file://</c> and absolute paths only
    /// when <paramref name="allowLocal"/> (an operator setting for on-prem mirrors and tests).
    /// Transports that run commands (<c>ext::</c>, <c>fd::</c>) and anything git could read as an option are refused,
    /// and so are credentials in the URL, which would be stored and listed with the project; messages never repeat them.
    /// </summary>
    public static void RepositoryUrl(Validation validation, string field, string? url, bool allowLocal)
    {
        const string Examples = "use git@github.com:org/repo.git, ssh://git@host:22/org/repo.git or https://host/org/repo.git";
        if (string.IsNullOrWhiteSpace(url))
        {
            validation.Add(field, $"A repository URL is required; {Examples}.");
            return;
        }
        if (CarriesCredentials(url))
        {
            validation.Add(field, "A repository URL must not carry a password or token (user:password@, token@ or ?token=): it would be stored and shown "
                + "with the project. Use an SSH URL with the project's deploy key (git@host:org/repo.git or ssh://git@host/org/repo.git), "
                + "or an HTTPS URL without credentials, keeping an HTTPS token as a project secret.");
            return;
        }
        if (url.Length > 2048 || url.Any(c => char.IsControl(c) || char.IsWhiteSpace(c)))
        {
            validation.Add(field, $"'{Shorten(Redact(url))}' contains spaces or control characters; {Examples}.");
            return;
        }
        if (url.StartsWith('-') || url.Contains("::", StringComparison.Ordinal))
        {
            validation.Add(field, $"'{Shorten(Redact(url))}' is not a repository URL git may fetch from; {Examples}.");
            return;
        }
        if (Uri.TryCreate(url, UriKind.Absolute, out var uri) && url.Contains("://", StringComparison.Ordinal))
        {
            var ok = uri.Scheme switch
            {
                "https" or "ssh" => !string.IsNullOrEmpty(uri.Host) && !uri.Host.StartsWith('-') && uri.AbsolutePath.Length > 1,
                "file" => allowLocal && uri.AbsolutePath.Length > 1,
                _ => false,
            };
            if (!ok)
            {
                validation.Add(field, uri.Scheme == "file"
                    ? "Local repositories are not allowed on this server (Runtime:Git:AllowLocalRepositories)."
                    : $"'{Shorten(Redact(url))}' is not a supported repository URL ({uri.Scheme}); {Examples}.");
            }
            return;
        }
        if (url.StartsWith('/'))
        {
            if (!allowLocal)
                validation.Add(field, "Local repositories are not allowed on this server (Runtime:Git:AllowLocalRepositories).");
            return;
        }
        if (!ScpLike().IsMatch(url))
            validation.Add(field, $"'{Shorten(Redact(url))}' is not a repository URL; {Examples}.");
    }

    /// <summary>The rules of <c>git check-ref-format --branch</c>.</summary>
    public static void Branch(Validation validation, string field, string? branch)
    {
        const string Rule = "a branch name such as main or release/2.1 (no spaces, '..', '~', '^', ':', '?', '*', '[', '\\', no leading '-' or '/', no trailing '/', '.' or '.lock')";
        if (string.IsNullOrWhiteSpace(branch))
        {
            validation.Add(field, "A branch is required, for example main.");
            return;
        }
        var bad = branch.Length > 255
            || branch.StartsWith('-') || branch.StartsWith('/') || branch.EndsWith('/') || branch.EndsWith('.')
            || branch == "@" || branch.Contains("..", StringComparison.Ordinal) || branch.Contains("@{", StringComparison.Ordinal)
            || branch.Contains("//", StringComparison.Ordinal)
            || branch.Any(c => c < 0x20 || c == 0x7f || " ~^:?*[\\".Contains(c))
            || branch.Split('/').Any(part => part.StartsWith('.') || part.EndsWith(".lock", StringComparison.Ordinal));
        if (bad)
            validation.Add(field, $"'{Shorten(branch)}' is not a valid branch name: {Rule}.");
    }

    /// <summary>A relative path inside the repository, such as <c>src/app.py</c>.</summary>
    public static void RelativePath(Validation validation, string field, string? path)
    {
        if (string.IsNullOrWhiteSpace(path))
        {
            validation.Add(field, "A path inside the repository is required, for example src/app.py.");
            return;
        }
        var parts = path.Split('/');
        var bad = path.Length > 1024 || path.StartsWith('/') || path.StartsWith('-') || path.Contains('\\')
            || path.Any(char.IsControl) || parts.Any(p => p is "" or "." or "..");
        if (bad)
            validation.Add(field, $"'{Shorten(path)}' must be a relative path inside the repository, like src/app.py (no leading '/', no '..').");
    }

    /// <summary>
    /// The URL as a message or a log line may show it: whatever stands before its last '@' becomes ***, except an SSH
    /// user name such as <c>git@</c>. The last '@', since a password typed unencoded may hold one itself.
    /// </summary>
    public static string Redact(string url)
    {
        var at = url.LastIndexOf('@');
        if (at < 0)
            return url;
        var scheme = url.IndexOf("://", StringComparison.Ordinal);
        var start = scheme >= 0 && scheme < at ? scheme + 3 : 0;
        return (start == 0 || IsSsh(url[..scheme])) && SshUser().IsMatch(url[start..at]) ? url : url[..start] + "***" + url[at..];
    }

    /// <summary>The URL with any credentials it carries masked, and unchanged otherwise; for URLs stored before they were refused.</summary>
    public static string WithoutCredentials(string url) => CarriesCredentials(url) ? Redact(url) : url;

    // ssh://, and git+ssh:// which is refused later for its own reason, with a message that then fits.
    private static bool IsSsh(string scheme) => scheme.Contains("ssh", StringComparison.OrdinalIgnoreCase);

    // Over https (and any scheme but ssh) every '@' and every query is refused: repository paths have neither, and
    // user:password@, token@ and ?private_token= are how credentials ride along. Over ssh, and in the scp-like form,
    // a user name before the '@' (git@) names the account; only a password part, user:password@, is refused.
    private static bool CarriesCredentials(string url)
    {
        var scheme = url.IndexOf("://", StringComparison.Ordinal);
        if (scheme >= 0 && !IsSsh(url[..scheme]))
            return url.Contains('@') || url.Contains('?');
        if (url.StartsWith('/'))
            return false;
        var rest = scheme >= 0 ? url[(scheme + 3)..] : url;
        var at = rest.IndexOf('@');
        return at >= 0 && rest[..at].Contains(':');
    }

    private static string Shorten(string value) => value.Length <= 80 ? value : value[..77] + "...";

    // user@host:path — the host may not start with '-', the path not with '-' or '/'... except a leading '~/' is not used by deploy keys.
    [GeneratedRegex(@"^[A-Za-z0-9._-]+@[A-Za-z0-9.][A-Za-z0-9.-]*:[A-Za-z0-9._~][A-Za-z0-9._/~-]*$")]
    private static partial Regex ScpLike();

    [GeneratedRegex(@"^[A-Za-z0-9._-]+$")]
    private static partial Regex SshUser();
}
