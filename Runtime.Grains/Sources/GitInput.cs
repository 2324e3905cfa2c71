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
    /// Transports that run commands (<c>ext::</c>, <c>fd::</c>) and anything git could read as an option are refused.
    /// </summary>
    public static void RepositoryUrl(Validation validation, string field, string? url, bool allowLocal)
    {
        const string Examples = "use git@github.com:org/repo.git, ssh://git@host:22/org/repo.git or https://host/org/repo.git";
        if (string.IsNullOrWhiteSpace(url))
        {
            validation.Add(field, $"A repository URL is required; {Examples}.");
            return;
        }
        if (url.Length > 2048 || url.Any(c => char.IsControl(c) || char.IsWhiteSpace(c)))
        {
            validation.Add(field, $"'{Shorten(url)}' contains spaces or control characters; {Examples}.");
            return;
        }
        if (url.StartsWith('-') || url.Contains("::", StringComparison.Ordinal))
        {
            validation.Add(field, $"'{Shorten(url)}' is not a repository URL git may fetch from; {Examples}.");
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
                    : $"'{Shorten(url)}' is not a supported repository URL ({uri.Scheme}); {Examples}.");
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
            validation.Add(field, $"'{Shorten(url)}' is not a repository URL; {Examples}.");
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

    private static string Shorten(string value) => value.Length <= 80 ? value : value[..77] + "...";

    // user@host:path — the host may not start with '-', the path not with '-' or '/'... except a leading '~/' is not used by deploy keys.
    [GeneratedRegex(@"^[A-Za-z0-9._-]+@[A-Za-z0-9.][A-Za-z0-9.-]*:[A-Za-z0-9._~][A-Za-z0-9._/~-]*$")]
    private static partial Regex ScpLike();
}
