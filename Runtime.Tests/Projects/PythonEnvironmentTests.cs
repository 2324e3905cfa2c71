using System.Net.Http.Json;
using System.Text.Json;
using Runtime.Tests.Api;
using Runtime.Tests.Infrastructure;
using Xunit;

namespace Runtime.Tests.Projects;

/// <summary>A workspace's Python environments: defined through the API, built into venvs by the agent, reused, and failing with pip's words.</summary>
public sealed class PythonEnvironmentTests(ApiFixture api) : IClassFixture<ApiFixture>
{
    private const string Environments = "/api/workspaces/default/python-environments";

    private async Task<string> CreateProjectAsync(string url, string environment)
    {
        var response = await api.Owner().PostAsJsonAsync("/api/workspaces/default/projects", new
        {
            name = "Py " + Guid.NewGuid().ToString("N")[..8], appType = "dash", pythonEnvironment = environment, repositoryUrl = url, branch = "main", path = "app.py",
        });
        Assert.True(201 == (int)response.StatusCode, await response.Content.ReadAsStringAsync());
        return $"/api/workspaces/default/projects/{(await response.Json()).GetProperty("slug").GetString()}";
    }

    private async Task<JsonElement> DeployAndWaitAsync(string project, string status)
    {
        Assert.Equal(202, (int)(await api.Owner().PostAsync($"{project}/deploy", null)).StatusCode);
        return await Eventually.Get(async () => await (await api.Owner().GetAsync(project)).Json(),
            p => p.GetProperty("status").GetString() == status, TimeSpan.FromSeconds(90), $"{project} to be {status}");
    }

    // The log is shipped in batches: wait until the app's own first line is stored, which comes after any build line.
    private async Task<List<string>> BuildLinesAsync(string project, string until = "serving under")
    {
        var logs = await Eventually.Get(async () => await (await api.Owner().GetAsync($"{project}/logs?tail=1000")).Json(),
            l => l.EnumerateArray().Any(x => x.GetProperty("line").GetString()!.Contains(until, StringComparison.Ordinal)), TimeSpan.FromSeconds(10), $"'{until}' in the log");
        return logs.EnumerateArray().Where(l => l.GetProperty("stream").GetString() == "build").Select(l => l.GetProperty("line").GetString()!).ToList();
    }

    [Fact]
    public async Task Environments_AreListed_WithTheBuiltInDefault_CreatedReplacedAndDeleted()
    {
        var list = await (await api.Owner().GetAsync(Environments)).Json();
        var builtIn = list.EnumerateArray().Single(e => e.GetProperty("name").GetString() == "default");
        Assert.True(builtIn.GetProperty("builtIn").GetBoolean());
        Assert.Equal("agent", builtIn.GetProperty("interpreter").GetString());

        var created = await api.Owner().PutAsJsonAsync($"{Environments}/analytics", new { interpreter = "python3", requirements = "pandas==2.2.3\n# comment\n" });
        Assert.Equal(201, (int)created.StatusCode);
        var replaced = await api.Owner().PutAsJsonAsync($"{Environments}/analytics", new { interpreter = "/usr/bin/python3", requirements = "pandas==2.2.3\npolars\n" });
        Assert.Equal(200, (int)replaced.StatusCode);
        var got = await (await api.Owner().GetAsync($"{Environments}/analytics")).Json();
        Assert.Equal("/usr/bin/python3", got.GetProperty("interpreter").GetString());
        Assert.Contains("polars", got.GetProperty("requirements").GetString());

        // In use: not deleted.
        var project = await CreateProjectAsync("file:///nonexistent.git", "analytics");
        await (await api.Owner().DeleteAsync($"{Environments}/analytics")).AssertProblem(409, "conflict");
        Assert.Equal(204, (int)(await api.Owner().DeleteAsync(project)).StatusCode);
        Assert.Equal(204, (int)(await api.Owner().DeleteAsync($"{Environments}/analytics")).StatusCode);
        await (await api.Owner().GetAsync($"{Environments}/analytics")).AssertProblem(404, "not-found");
        await (await api.Owner().DeleteAsync($"{Environments}/default")).AssertProblem(409, "conflict");
    }

    [Theory]
    [InlineData("Bad Name", "python3", "", "name")]
    [InlineData("ok", "python3; rm -rf /", "", "interpreter")]
    [InlineData("ok", "/usr/bin/../bin/python3", "", "interpreter")]
    [InlineData("ok", "python3", "-e .", "requirements")]
    [InlineData("ok", "python3", "--requirement other.txt", "requirements")]
    [InlineData("ok", "python3", "/etc/passwd", "requirements")]
    [InlineData("ok", "python3", "pkg @ file:///etc/passwd", "requirements")]
    public async Task BadEnvironments_Are400sNamingTheField(string name, string interpreter, string requirements, string field)
    {
        var response = await api.Owner().PutAsJsonAsync($"{Environments}/{Uri.EscapeDataString(name)}", new { interpreter, requirements });
        var problem = await response.AssertProblem(400, "validation");
        Assert.True(problem.GetProperty("errors").TryGetProperty(field, out _), problem.GetRawText());
    }

    [Fact]
    public async Task ProjectNamingAMissingEnvironment_Is400()
    {
        var response = await api.Owner().PostAsJsonAsync("/api/workspaces/default/projects", new
        {
            name = "No env", appType = "dash", pythonEnvironment = "missing", repositoryUrl = "file:///x.git", branch = "main", path = "app.py",
        });
        var problem = await response.AssertProblem(400, "validation");
        Assert.Contains("python-environments", problem.GetProperty("errors").GetProperty("pythonEnvironment")[0].GetString());
    }

    [Fact]
    public async Task Environment_IsBuiltOnce_AndReusedByTheNextProject()
    {
        // A data directory of its own, so that no other test has built the environment yet.
        var data = Directory.CreateTempSubdirectory("runtime-venv-");
        var silo = await api.Database.StartSiloAsync("silo-venv", new Dictionary<string, string?> { ["Runtime:DataDirectory"] = data.FullName });
        try
        {
            await BuiltOnceAndReusedAsync(data.FullName);
        }
        finally
        {
            await silo.DisposeAsync();
            data.Delete(recursive: true);
        }
    }

    private async Task BuiltOnceAndReusedAsync(string dataDirectory)
    {
        // The agent's interpreter, seeing Debian's Flask.
        var name = "shared";
        Assert.Equal(201, (int)(await api.Owner().PutAsJsonAsync($"{Environments}/{name}", new { interpreter = "agent", inheritSystemPackages = true })).StatusCode);
        using var repository = GitTestRepository.Create(new Dictionary<string, string> { ["app.py"] = TestApps.Flask("venv") });

        var first = await CreateProjectAsync(repository.FileUrl, name);
        await DeployAndWaitAsync(first, "Deployed");
        var built = await BuildLinesAsync(first);
        Assert.Contains(built, l => l.Contains("-m venv --system-site-packages --without-pip", StringComparison.Ordinal));
        Assert.Contains(built, l => l.Contains("ready in", StringComparison.Ordinal));
        Assert.Equal("hello from venv", await api.Owner().GetStringAsync($"/apps/default/{first.Split('/')[^1]}/"));

        var second = await CreateProjectAsync(repository.FileUrl, name);
        await DeployAndWaitAsync(second, "Deployed");
        Assert.Empty(await BuildLinesAsync(second));
        var started = await api.Database.ScalarAsync<string>(
            "SELECT result::text FROM assignments WHERE workload_id = 'project/' || (SELECT key FROM projects WHERE slug = $1) AND kind = 'start' AND result ? 'phases'", second.Split('/')[^1]);
        Assert.Contains("venvMs", started);
        Assert.Single(Directory.GetFiles(Path.Combine(dataDirectory, "venvs"), "*.log"));
    }

    [Fact]
    public async Task FailedBuild_FailsTheDeploy_WithPipsError()
    {
        await using var silo = await api.Database.StartSiloAsync("silo-venv-fail");
        Assert.Equal(201, (int)(await api.Owner().PutAsJsonAsync($"{Environments}/broken", new { interpreter = "agent", requirements = "not a requirement!\n" })).StatusCode);
        using var repository = GitTestRepository.Create(new Dictionary<string, string> { ["app.py"] = TestApps.Flask("never") });
        var project = await CreateProjectAsync(repository.FileUrl, "broken");

        var failed = await DeployAndWaitAsync(project, "Failed");
        var reason = failed.GetProperty("failure").GetProperty("reason").GetString()!;
        Assert.Contains("building the Python environment 'broken' failed: pip install failed", reason);
        Assert.Contains("Invalid requirement", reason);
        Assert.Contains(await BuildLinesAsync(project, "Invalid requirement"), l => l.Contains("Invalid requirement", StringComparison.Ordinal));
    }

    [Fact]
    public async Task FailedBuild_MasksTheProjectsSecrets_InTheBuildLogAndTheReason()
    {
        await using var silo = await api.Database.StartSiloAsync("silo-venv-mask");
        var secret = "tok" + Guid.NewGuid().ToString("N");
        // pip echoes the bad line, secret and all.
        Assert.Equal(201, (int)(await api.Owner().PutAsJsonAsync($"{Environments}/leaky", new { interpreter = "agent", requirements = $"not a requirement {secret}!\n" })).StatusCode);
        using var repository = GitTestRepository.Create(new Dictionary<string, string> { ["app.py"] = TestApps.Flask("never") });
        var project = await CreateProjectAsync(repository.FileUrl, "leaky");
        Assert.True((await api.Owner().PutAsJsonAsync($"{project}/secrets/API_TOKEN", new { value = secret })).IsSuccessStatusCode);

        var failed = await DeployAndWaitAsync(project, "Failed");
        var reason = failed.GetProperty("failure").GetProperty("reason").GetString()!;
        Assert.Contains("Invalid requirement", reason);
        Assert.DoesNotContain(secret, reason);
        var built = await BuildLinesAsync(project, "Invalid requirement");
        Assert.Contains(built, l => l.Contains("not a requirement ***", StringComparison.Ordinal));
        Assert.DoesNotContain(built, l => l.Contains(secret, StringComparison.Ordinal));
    }
}
