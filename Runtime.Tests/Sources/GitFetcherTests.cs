using System.Diagnostics;
using Microsoft.Extensions.DependencyInjection;
using Runtime.Grains;
using Runtime.Grains.Blobs;
using Runtime.Grains.Sources;
using Runtime.Tests.Infrastructure;
using Xunit;

namespace Runtime.Tests.Sources;

public sealed class GitFetcherTests(TestDatabase database) : IClassFixture<TestDatabase>
{
    private GitFetcher Fetcher => database.Services.GetRequiredService<GitFetcher>();

    [Fact]
    public async Task Fetch_StoresTheBranchTipAsAnArchive_WithItsMetadata()
    {
        using var repository = GitTestRepository.Create(new Dictionary<string, string> { ["src/app.py"] = "print('hello')\n", ["README.md"] = "# app\n" });

        var revision = await Fetcher.FetchAsync(new GitFetchRequest(repository.FileUrl, "main", null, "src/app.py", AllowLocal: true));

        Assert.Matches("^[0-9a-f]{40}$", revision.Sha);
        Assert.Equal("first commit", revision.Message);
        Assert.Equal("Test Author <author@example.com>", revision.Author);
        Assert.True(revision.EntrypointExists);
        Assert.Equal(["README.md", "src/", "src/app.py"], await ListArchiveAsync(revision.Archive.Hash));
    }

    [Fact]
    public async Task SameCommitFetchedTwice_IsOneArchive()
    {
        using var repository = GitTestRepository.Create(new Dictionary<string, string> { ["app.py"] = "x = 1\n" });
        var request = new GitFetchRequest(repository.FileUrl, "main", null, "app.py", AllowLocal: true);

        var first = await Fetcher.FetchAsync(request);
        var second = await Fetcher.FetchAsync(request);

        Assert.Equal(first.Archive.Hash, second.Archive.Hash);
    }

    [Fact]
    public async Task NewCommit_IsANewRevision()
    {
        using var repository = GitTestRepository.Create(new Dictionary<string, string> { ["app.py"] = "x = 1\n" });
        var request = new GitFetchRequest(repository.FileUrl, "main", null, "app.py", AllowLocal: true);
        var first = await Fetcher.FetchAsync(request);

        var sha = repository.Commit(new Dictionary<string, string> { ["app.py"] = "x = 2\n" }, "second");
        var second = await Fetcher.FetchAsync(request);

        Assert.Equal(sha, second.Sha);
        Assert.NotEqual(first.Archive.Hash, second.Archive.Hash);
    }

    [Fact]
    public async Task MissingEntrypoint_IsReported()
    {
        using var repository = GitTestRepository.Create(new Dictionary<string, string> { ["app.py"] = "x = 1\n" });

        var revision = await Fetcher.FetchAsync(new GitFetchRequest(repository.FileUrl, "main", null, "src/app.py", AllowLocal: true));

        Assert.False(revision.EntrypointExists);
    }

    [Fact]
    public async Task UnknownBranch_IsBranchNotFound()
    {
        using var repository = GitTestRepository.Create(new Dictionary<string, string> { ["app.py"] = "x = 1\n" });

        var error = await Assert.ThrowsAsync<GitException>(() => Fetcher.FetchAsync(new GitFetchRequest(repository.FileUrl, "nope", null, null, AllowLocal: true)));

        Assert.Equal(GitFailure.BranchNotFound, error.Failure);
        Assert.Contains("'nope'", error.Message);
    }

    [Fact]
    public async Task LocalRepository_IsRefusedUnlessAllowed()
    {
        using var repository = GitTestRepository.Create(new Dictionary<string, string> { ["app.py"] = "x = 1\n" });

        var error = await Assert.ThrowsAsync<ValidationException>(() => Fetcher.FetchAsync(new GitFetchRequest(repository.FileUrl, "main", null, null)));

        Assert.Equal(["repositoryUrl"], error.Errors.Keys);
    }

    private async Task<List<string>> ListArchiveAsync(string hash)
    {
        var file = Path.GetTempFileName();
        try
        {
            await using (var blob = await database.Services.GetRequiredService<IBlobStore>().OpenReadAsync(hash))
            await using (var output = File.Create(file))
                await blob!.CopyToAsync(output);
            var info = new ProcessStartInfo("tar") { RedirectStandardOutput = true };
            foreach (var argument in new[] { "-tzf", file })
                info.ArgumentList.Add(argument);
            using var process = Process.Start(info)!;
            var names = await process.StandardOutput.ReadToEndAsync();
            await process.WaitForExitAsync();
            return names.Split('\n', StringSplitOptions.RemoveEmptyEntries).Order(StringComparer.Ordinal).ToList();
        }
        finally
        {
            File.Delete(file);
        }
    }
}

/// <summary>Deploy keys against a real SSH server: the clone works with the authorised key only.</summary>
public sealed class DeployKeyFetchTests(TestDatabase database, SshServer ssh) : IClassFixture<TestDatabase>, IClassFixture<SshServer>
{
    [Fact]
    public async Task FetchOverSsh_WithTheAuthorisedDeployKey_Succeeds_AndWithAnotherKey_IsAnAuthenticationFailure()
    {
        using var repository = GitTestRepository.Create(new Dictionary<string, string> { ["app.py"] = "print(1)\n" }, parent: ssh.Directory);
        repository.GiveTo(SshServer.User);
        var deployKey = await DeployKey.GenerateAsync("runtime-project-ssh");
        ssh.Authorize(deployKey.PublicKey);
        var fetcher = database.Services.GetRequiredService<GitFetcher>();
        var url = ssh.Url(repository.BarePath);

        var revision = await fetcher.FetchAsync(new GitFetchRequest(url, "main", deployKey.PrivateKey, "app.py"));
        Assert.True(revision.EntrypointExists);

        var otherKey = await DeployKey.GenerateAsync("someone-else");
        var error = await Assert.ThrowsAsync<GitException>(() => fetcher.FetchAsync(new GitFetchRequest(url, "main", otherKey.PrivateKey, "app.py")));
        Assert.Equal(GitFailure.Authentication, error.Failure);
        Assert.DoesNotContain("PRIVATE KEY", error.Message);
    }
}
