using System.Diagnostics;
using Runtime.Grains;
using Runtime.Grains.Sources;
using Xunit;

namespace Runtime.Tests.Sources;

public sealed class GitInputTests
{
    private static IReadOnlyDictionary<string, string[]> Errors(Action<Validation> check)
    {
        var validation = new Validation();
        check(validation);
        try
        {
            validation.ThrowIfInvalid();
            return new Dictionary<string, string[]>();
        }
        catch (ValidationException e)
        {
            return e.Errors;
        }
    }

    [Theory]
    [InlineData("git@github.com:acme/app.git")]
    [InlineData("ssh://git@git.example.com:2222/acme/app.git")]
    [InlineData("https://github.com/acme/app.git")]
    [InlineData("https://gitlab.example.com/group/sub/app")]
    [InlineData("ssh://git@example.com/acme/app.git")]
    [InlineData("ssh://deploy.user@example.com:2222/acme/app.git")]
    [InlineData("deploy-user@example.com:acme/app.git")]
    public void SupportedRepositoryUrls_Pass(string url) =>
        Assert.Empty(Errors(v => GitInput.RepositoryUrl(v, "repositoryUrl", url, allowLocal: false)));

    [Theory]
    [InlineData("ext::sh -c touch% /tmp/pwned")]
    [InlineData("ext::sh")]
    [InlineData("--upload-pack=touch /tmp/pwned")]
    [InlineData("-oProxyCommand=touch /tmp/pwned")]
    [InlineData("fd::17")]
    [InlineData("http://example.com/insecure.git")]
    [InlineData("git://example.com/app.git")]
    [InlineData("ssh://-oProxyCommand=x/app")]
    [InlineData("file:///srv/repos/app.git")]
    [InlineData("/srv/repos/app.git")]
    [InlineData("not a url")]
    [InlineData("")]
    public void UnsafeOrUnsupportedRepositoryUrls_AreRefusedNamingTheField(string url)
    {
        var errors = Errors(v => GitInput.RepositoryUrl(v, "repositoryUrl", url, allowLocal: false));

        Assert.Equal(["repositoryUrl"], errors.Keys);
    }

    [Theory]
    [InlineData("https://user:hunter2-pw@example.com/repo.git")]
    [InlineData("https://hunter2-pw@example.com/repo.git")]
    [InlineData("https://user:hunter2@pw@example.com/repo.git")]
    [InlineData("https://user:hunter2/pw@example.com/repo.git")]
    [InlineData("HTTPS://user:hunter2-pw@example.com/repo.git")]
    [InlineData("https://example.com/repo.git?private_token=hunter2-pw")]
    [InlineData("http://user:hunter2-pw@example.com/repo.git")]
    [InlineData("ssh://user:hunter2-pw@example.com/repo.git")]
    [InlineData("ssh://git:hunter2-pw@example.com:2222/repo.git")]
    [InlineData("git:hunter2-pw@example.com:acme/repo.git")]
    [InlineData("https://user:hunter2 pw@example.com/repo.git")]
    public void UrlsCarryingCredentials_AreRefused_PointingAtTheDeployKey_WithoutRepeatingTheSecret(string url)
    {
        var errors = Errors(v => GitInput.RepositoryUrl(v, "repositoryUrl", url, allowLocal: false));

        Assert.Equal(["repositoryUrl"], errors.Keys);
        var message = Assert.Single(errors["repositoryUrl"]);
        Assert.Contains("deploy key", message);
        Assert.Contains("project secret", message);
        Assert.DoesNotContain("hunter2", message);
    }

    [Theory]
    [InlineData("ssh://user:hunter2-pw@example.com/repo.git", "ssh://***@example.com/repo.git")]
    [InlineData("https://hunter2-pw@example.com/repo.git", "https://***@example.com/repo.git")]
    [InlineData("https://user:hunter2@pw@example.com/repo.git", "https://***@example.com/repo.git")]
    [InlineData("git:hunter2-pw@example.com:acme/repo.git", "***@example.com:acme/repo.git")]
    [InlineData("ssh://git@example.com/repo.git", "ssh://git@example.com/repo.git")]
    [InlineData("git@github.com:acme/app.git", "git@github.com:acme/app.git")]
    [InlineData("https://github.com/acme/app.git", "https://github.com/acme/app.git")]
    public void Redact_MasksWhatStandsBeforeTheAt_ButAnSshUserName(string url, string shown) =>
        Assert.Equal(shown, GitInput.Redact(url));

    [Fact]
    public void AUrlStoredWithCredentials_IsShownWithoutThem()
    {
        Assert.Equal("https://***@example.com/repo.git", GitInput.WithoutCredentials("https://user:hunter2-pw@example.com/repo.git"));
        Assert.Equal("ssh://git@example.com/repo.git", GitInput.WithoutCredentials("ssh://git@example.com/repo.git"));
        Assert.Equal("git@github.com:acme/app.git", GitInput.WithoutCredentials("git@github.com:acme/app.git"));
    }

    [Theory]
    [InlineData("https://user:hunter2-pw@exa mple.com/repo.git")]
    [InlineData("ftp://user:hunter2-pw@example.com/repo.git")]
    [InlineData("user:hunter2/pw@example.com:repo")]
    [InlineData("not a url hunter2@x")]
    [InlineData("ssh://token hunter2@example.com/repo.git")]
    public void NoMessageAboutABadUrl_RepeatsWhatStoodBeforeItsAt(string url)
    {
        var errors = Errors(v => GitInput.RepositoryUrl(v, "repositoryUrl", url, allowLocal: false));

        Assert.DoesNotContain("hunter2", Assert.Single(errors["repositoryUrl"]));
    }

    [Fact]
    public void LocalRepositories_PassOnlyWhenAllowed()
    {
        Assert.Empty(Errors(v => GitInput.RepositoryUrl(v, "repositoryUrl", "file:///srv/app.git", allowLocal: true)));
        Assert.Empty(Errors(v => GitInput.RepositoryUrl(v, "repositoryUrl", "/srv/app.git", allowLocal: true)));
        Assert.Contains("AllowLocalRepositories", Errors(v => GitInput.RepositoryUrl(v, "repositoryUrl", "/srv/app.git", allowLocal: false))["repositoryUrl"][0]);
    }

    [Theory]
    [InlineData("main", true)]
    [InlineData("release/2.1", true)]
    [InlineData("feature/x-y_z", true)]
    [InlineData("--upload-pack=x", false)]
    [InlineData("-x", false)]
    [InlineData("a..b", false)]
    [InlineData("a b", false)]
    [InlineData("a~1", false)]
    [InlineData("a^", false)]
    [InlineData("a:b", false)]
    [InlineData("a?", false)]
    [InlineData("a*", false)]
    [InlineData("a[b", false)]
    [InlineData("a\\b", false)]
    [InlineData("/a", false)]
    [InlineData("a/", false)]
    [InlineData("a.", false)]
    [InlineData("a.lock", false)]
    [InlineData("a/.b", false)]
    [InlineData("a//b", false)]
    [InlineData("a@{1}", false)]
    public void BranchRules_AgreeWithGitCheckRefFormat(string branch, bool valid)
    {
        Assert.Equal(valid, Errors(v => GitInput.Branch(v, "branch", branch)).Count == 0);
        Assert.Equal(valid, GitAccepts(branch));
    }

    [Theory]
    [InlineData("app.py")]
    [InlineData("src/app.py")]
    [InlineData("dags")]
    public void RelativePathsInsideTheRepository_Pass(string path) =>
        Assert.Empty(Errors(v => GitInput.RelativePath(v, "path", path)));

    [Theory]
    [InlineData("../../etc/passwd")]
    [InlineData("src/../../x")]
    [InlineData("/etc/passwd")]
    [InlineData("-rf")]
    [InlineData("src//app.py")]
    [InlineData("./app.py")]
    [InlineData("src\\app.py")]
    [InlineData("")]
    public void PathsOutsideTheRepository_AreRefusedNamingTheField(string path) =>
        Assert.Equal(["path"], Errors(v => GitInput.RelativePath(v, "path", path)).Keys);

    private static bool GitAccepts(string branch)
    {
        var info = new ProcessStartInfo("git") { RedirectStandardOutput = true, RedirectStandardError = true };
        info.ArgumentList.Add("check-ref-format");
        info.ArgumentList.Add("--branch");
        info.ArgumentList.Add(branch);
        using var process = Process.Start(info)!;
        process.WaitForExit();
        return process.ExitCode == 0;
    }
}
