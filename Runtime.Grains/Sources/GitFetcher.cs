using System.Globalization;
using Microsoft.Extensions.Logging;
using Runtime.Grains.Blobs;

namespace Runtime.Grains.Sources;

/// <summary>What to fetch: the branch's latest commit, with the project's deploy key when the URL is SSH.</summary>
/// <param name="PrivateKey">The deploy key (OpenSSH format), written to a 0600 file only for this fetch.</param>
/// <param name="EntrypointPath">A path to look for in the fetched tree.</param>
[Orleans.GenerateSerializer]
public sealed record GitFetchRequest(string RepositoryUrl, string Branch, string? PrivateKey, string? EntrypointPath, bool AllowLocal = false);

/// <summary>A fetched commit and its tree stored as a gzip'd tar in the blob store.</summary>
[Orleans.GenerateSerializer]
public sealed record FetchedRevision(string Sha, string Message, string Author, DateTimeOffset CommittedAt, BlobInfo Archive, bool EntrypointExists);

public enum GitFailure
{
    /// <summary>The server refused the key (or hides the repository from it).</summary>
    Authentication,
    BranchNotFound,
    Unreachable,
    Other,
}

/// <summary>A fetch failed; the message is safe to show (no key, no credentials).</summary>
public sealed class GitException(GitFailure failure, string message) : Exception(message)
{
    public GitFailure Failure { get; } = failure;
}

/// <summary>
/// Fetches a branch with the <c>git</c> command into a throwaway bare repository, with an isolated
/// configuration (no system or user config, only the https and ssh transports, and file when
/// allowed), and stores the commit's tree as a content-addressed archive.
/// </summary>
public sealed partial class GitFetcher(IBlobStore blobs, ILogger<GitFetcher> logger)
{
    private static readonly TimeSpan FetchTimeout = TimeSpan.FromMinutes(10);
    private static readonly TimeSpan LocalTimeout = TimeSpan.FromMinutes(2);

    public async Task<FetchedRevision> FetchAsync(GitFetchRequest request, CancellationToken cancellationToken = default)
    {
        var validation = new Validation();
        GitInput.RepositoryUrl(validation, "repositoryUrl", request.RepositoryUrl, request.AllowLocal);
        GitInput.Branch(validation, "branch", request.Branch);
        if (request.EntrypointPath is not null)
            GitInput.RelativePath(validation, "path", request.EntrypointPath);
        validation.ThrowIfInvalid();

        var work = Directory.CreateTempSubdirectory("runtime-git-");
        try
        {
            var environment = await PrepareEnvironmentAsync(work.FullName, request, cancellationToken);
            var repository = Path.Combine(work.FullName, "repo.git");
            await Git(environment, ["init", "-q", "--bare", repository], LocalTimeout, cancellationToken);

            var remoteRef = $"refs/remotes/origin/{request.Branch}";
            var fetch = await CommandLine.RunAsync(
                ["git", "-C", repository, "fetch", "-q", "--depth", "1", "--no-tags", "--", request.RepositoryUrl, $"+refs/heads/{request.Branch}:{remoteRef}"],
                environment, null, FetchTimeout, cancellationToken, throwOnFailure: false);
            if (fetch.ExitCode != 0)
                throw Classify(fetch.StandardError, request);

            var sha = (await Git(environment, ["-C", repository, "rev-parse", "--verify", remoteRef + "^{commit}"], LocalTimeout, cancellationToken)).Trim();
            var meta = (await Git(environment, ["-C", repository, "log", "-1", "--format=%an <%ae>%n%cI%n%B", sha], LocalTimeout, cancellationToken)).Split('\n', 3);
            var entrypointExists = request.EntrypointPath is null || (await CommandLine.RunAsync(
                ["git", "-C", repository, "cat-file", "-e", $"{sha}:{request.EntrypointPath}"],
                environment, null, LocalTimeout, cancellationToken, throwOnFailure: false)).ExitCode == 0;

            BlobInfo? archive = null;
            await CommandLine.RunAsync(["git", "-C", repository, "archive", "--format=tar.gz", sha], environment, null, LocalTimeout, cancellationToken,
                readStandardOutput: async stream => archive = await blobs.PutAsync(stream, cancellationToken));

            var revision = new FetchedRevision(sha, meta.Length > 2 ? meta[2].Trim() : "", meta[0],
                DateTimeOffset.Parse(meta[1], CultureInfo.InvariantCulture), archive!, entrypointExists);
            LogFetched(GitInput.Redact(request.RepositoryUrl), request.Branch, sha, revision.Archive.Size);
            return revision;
        }
        finally
        {
            work.Delete(recursive: true);
        }
    }

    private static async Task<Dictionary<string, string>> PrepareEnvironmentAsync(string work, GitFetchRequest request, CancellationToken ct)
    {
        var config = Path.Combine(work, "gitconfig");
        await File.WriteAllTextAsync(config, $"""
            [safe]
            	directory = *
            [protocol]
            	allow = never
            [protocol "https"]
            	allow = always
            [protocol "ssh"]
            	allow = always
            [protocol "file"]
            	allow = {(request.AllowLocal ? "always" : "never")}
            [core]
            	hooksPath = /dev/null
            """, ct);

        var environment = new Dictionary<string, string>
        {
            ["GIT_CONFIG_GLOBAL"] = config,
            ["GIT_CONFIG_NOSYSTEM"] = "1",
            ["GIT_TERMINAL_PROMPT"] = "0",
            ["GIT_ASKPASS"] = "/bin/false",
            ["SSH_ASKPASS"] = "/bin/false",
            ["HOME"] = work,
            ["LC_ALL"] = "C",
        };
        if (request.PrivateKey is not null)
        {
            var keyFile = Path.Combine(work, "deploy_key");
            Runtime.Execution.Files.PrivateFile.Write(keyFile, request.PrivateKey.TrimEnd() + "\n");
            // GIT_SSH_COMMAND is read by a shell: our own temporary paths only, quoted.
            environment["GIT_SSH_COMMAND"] =
                $"ssh -F /dev/null -i '{keyFile}' -o IdentitiesOnly=yes -o BatchMode=yes -o ConnectTimeout=15 " +
                $"-o StrictHostKeyChecking=accept-new -o UserKnownHostsFile='{Path.Combine(work, "known_hosts")}'";
        }
        return environment;
    }

    private static async Task<string> Git(Dictionary<string, string> environment, IReadOnlyList<string> arguments, TimeSpan timeout, CancellationToken ct) =>
        (await CommandLine.RunAsync(["git", .. arguments], environment, null, timeout, ct)).StandardOutput;

    private static GitException Classify(string stderr, GitFetchRequest request)
    {
        // FetchAsync refused credentials before git ran; masking the URL in git's output as well means a looser check
        // later cannot put into a message what the log line leaves out.
        var url = GitInput.Redact(request.RepositoryUrl);
        var tail = CommandLine.Tail(stderr.Replace(request.RepositoryUrl, url, StringComparison.Ordinal), 3);
        bool Has(string text) => stderr.Contains(text, StringComparison.OrdinalIgnoreCase);
        if (Has("couldn't find remote ref"))
            return new GitException(GitFailure.BranchNotFound, $"Branch '{request.Branch}' does not exist in {url}.");
        if (Has("Permission denied") || Has("publickey") || Has("Authentication failed") || Has("Repository not found")
            || Has("could not read Username") || Has("Host key verification failed"))
            return new GitException(GitFailure.Authentication, $"The repository refused access: {tail}");
        if (Has("Could not resolve host") || Has("Connection refused") || Has("timed out") || Has("Network is unreachable"))
            return new GitException(GitFailure.Unreachable, $"The repository's server cannot be reached: {tail}");
        return new GitException(GitFailure.Other, $"git fetch failed: {tail}");
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Fetched {Url} {Branch} at {Sha} ({Bytes} bytes archived)")]
    private partial void LogFetched(string url, string branch, string sha, long bytes);
}
