using System.Net.Http.Json;
using System.Text.Json;
using Runtime.Tests.Api;
using Runtime.Tests.Infrastructure;
using Xunit;

namespace Runtime.Tests.Projects;

/// <summary>Deploy up to the agent: the fetch activity runs on a real silo against real repositories.</summary>
public sealed class ProjectDeployTests(ApiFixture api, SshServer ssh) : IClassFixture<ApiFixture>, IClassFixture<SshServer>, IAsyncLifetime
{
    private TestSilo _silo = null!;

    public async Task InitializeAsync() => _silo = await api.Database.StartSiloAsync("silo-projects");

    public async Task DisposeAsync() => await _silo.DisposeAsync();

    private async Task<string> CreateAsync(string url, string path)
    {
        var response = await api.Owner().PostAsJsonAsync("/api/workspaces/default/projects", new
        {
            name = "App " + Guid.NewGuid().ToString("N")[..8], appType = "dash", pythonEnvironment = "default", repositoryUrl = url, branch = "main", path,
        });
        Assert.True(201 == (int)response.StatusCode, await response.Content.ReadAsStringAsync());
        return (await response.Json()).GetProperty("slug").GetString()!;
    }

    private async Task<JsonElement> DeployAndWaitAsync(string slug, Func<JsonElement, bool> done)
    {
        var deploy = await api.Owner().PostAsync($"/api/workspaces/default/projects/{slug}/deploy", null);
        Assert.Equal(202, (int)deploy.StatusCode);
        Assert.Equal("Deploying", (await deploy.Json()).GetProperty("status").GetString());
        return await Eventually.Get(async () => await (await api.Owner().GetAsync($"/api/workspaces/default/projects/{slug}")).Json(),
            done, TimeSpan.FromSeconds(30), "the deploy to progress");
    }

    [Fact]
    public async Task Deploy_FetchesTheRevision_AndAssignsTheAppToTheCloudEnvironment()
    {
        using var repository = GitTestRepository.Create(new Dictionary<string, string> { ["src/app.py"] = "print('hi')\n" });
        var slug = await CreateAsync(repository.FileUrl, "src/app.py");

        var project = await DeployAndWaitAsync(slug, p => p.GetProperty("targetRevision").ValueKind == JsonValueKind.String);

        var sha = project.GetProperty("targetRevision").GetString()!;
        Assert.Matches("^[0-9a-f]{40}$", sha);
        var revisions = await (await api.Owner().GetAsync($"/api/workspaces/default/projects/{slug}/revisions")).Json();
        Assert.Equal(sha, revisions[0].GetProperty("sha").GetString());
        Assert.Equal("first commit", revisions[0].GetProperty("message").GetString());
        var id = project.GetProperty("id").GetGuid();
        Assert.Equal(1, await api.Database.ScalarAsync<long>(
            "SELECT count(*) FROM assignments WHERE environment_id = 'cloud' AND workload_id = $1 AND kind = 'start'", $"project/{id}"));

        Assert.Equal(204, (int)(await api.Owner().DeleteAsync($"/api/workspaces/default/projects/{slug}")).StatusCode);
        await (await api.Owner().GetAsync($"/api/workspaces/default/projects/{slug}")).AssertProblem(404, "not-found");
    }

    [Fact]
    public async Task MissingEntrypoint_FailsNamingThePathAndRevision()
    {
        using var repository = GitTestRepository.Create(new Dictionary<string, string> { ["app.py"] = "print('hi')\n" });
        var slug = await CreateAsync(repository.FileUrl, "src/app.py");

        var project = await DeployAndWaitAsync(slug, p => p.GetProperty("status").GetString() == "Failed");

        var sha = (await (await api.Owner().GetAsync($"/api/workspaces/default/projects/{slug}/revisions")).Json())[0].GetProperty("sha").GetString();
        Assert.Equal($"entrypoint src/app.py not found in {sha}", project.GetProperty("failure").GetProperty("reason").GetString());
    }

    [Fact]
    public async Task UpdateWhileDeploying_Is409_StopFirst()
    {
        using var repository = GitTestRepository.Create(new Dictionary<string, string> { ["app.py"] = TestApps.NeverReady });
        var slug = await CreateAsync(repository.FileUrl, "app.py");
        await DeployAndWaitAsync(slug, p => p.GetProperty("targetRevision").ValueKind == JsonValueKind.String);

        using var response = await api.Owner().PatchAsJsonAsync($"/api/workspaces/default/projects/{slug}", new { name = "x" });

        var problem = await response.AssertProblem(409, "illegal-transition");
        Assert.Equal("Deploying", problem.GetProperty("currentState").GetString());
        Assert.Contains("Stop the project first", problem.GetProperty("detail").GetString());
        Assert.Equal(202, (int)(await api.Owner().PostAsync($"/api/workspaces/default/projects/{slug}/stop", null)).StatusCode);
        await Eventually.Get(async () => await (await api.Owner().GetAsync($"/api/workspaces/default/projects/{slug}")).Json(),
            p => p.GetProperty("status").GetString() == "Stopped", TimeSpan.FromSeconds(30), "the stop");
    }

    [Fact]
    public async Task DeployOverSsh_UsesTheProjectsOwnKey_AndARefusedKeyFailsWithTheDeployKeyHint()
    {
        using var repository = GitTestRepository.Create(new Dictionary<string, string> { ["app.py"] = TestApps.Flask("ssh") }, parent: ssh.Directory);
        repository.GiveTo(SshServer.User);
        var slug = await CreateAsync(ssh.Url(repository.BarePath), "app.py");
        var key = await (await api.Owner().GetAsync($"/api/workspaces/default/projects/{slug}/ssh-key")).Json();

        // Not yet added as a deploy key: refused, with the hint and the fingerprint.
        var failed = await DeployAndWaitAsync(slug, p => p.GetProperty("status").GetString() == "Failed");
        var hint = failed.GetProperty("failure").GetProperty("hint").GetString()!;
        Assert.Contains("deploy key", hint);
        Assert.Contains(key.GetProperty("fingerprint").GetString()!, hint);

        ssh.Authorize(key.GetProperty("publicKey").GetString()!);
        var deployed = await DeployAndWaitAsync(slug, p => p.GetProperty("status").GetString() is "Deployed" or "Failed");
        Assert.Equal("Deployed", deployed.GetProperty("status").GetString());
        Assert.Equal(JsonValueKind.Null, deployed.GetProperty("failure").ValueKind);
        await api.Owner().PostAsync($"/api/workspaces/default/projects/{slug}/stop", null);
    }
}
