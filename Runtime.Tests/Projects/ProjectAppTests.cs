using System.Net.Http.Json;
using System.Text.Json;
using Runtime.Execution.Processes;
using Runtime.Tests.Api;
using Runtime.Tests.Infrastructure;
using Xunit;

namespace Runtime.Tests.Projects;

/// <summary>A real Flask app (a fair stand-in for Dash) deployed from a real repository by the silo's embedded agent.</summary>
public sealed class ProjectAppTests(ApiFixture api) : IClassFixture<ApiFixture>, IAsyncLifetime
{

    private TestSilo _silo = null!;

    public async Task InitializeAsync() => _silo = await api.Database.StartSiloAsync("silo-apps");

    public async Task DisposeAsync() => await _silo.DisposeAsync();

    private async Task<string> CreateAsync(string url)
    {
        var response = await api.Owner().PostAsJsonAsync("/api/workspaces/default/projects", new
        {
            name = "Flask " + Guid.NewGuid().ToString("N")[..8], appType = "dash", pythonEnvironment = "default", repositoryUrl = url, branch = "main", path = "app.py",
        });
        Assert.True(201 == (int)response.StatusCode, await response.Content.ReadAsStringAsync());
        return (await response.Json()).GetProperty("slug").GetString()!;
    }

    private async Task<JsonElement> WaitForStatusAsync(string slug, string status) =>
        await Eventually.Get(async () => await (await api.Owner().GetAsync($"/api/workspaces/default/projects/{slug}")).Json(),
            p => p.GetProperty("status").GetString() == status, TimeSpan.FromSeconds(40), $"{slug} to be {status}");

    private async Task<string?> AddressAsync(string slug) =>
        await api.Database.ScalarAsync<string>("SELECT state->>'address' FROM projects WHERE slug = $1", slug);

    [Fact]
    public async Task FlaskApp_IsDeployed_Served_Stopped_AndStartedAgain_WithItsLogsStored()
    {
        using var repository = GitTestRepository.Create(new Dictionary<string, string> { ["app.py"] = TestApps.Flask("v1") });
        var slug = await CreateAsync(repository.FileUrl);

        Assert.Equal(202, (int)(await api.Owner().PostAsync($"/api/workspaces/default/projects/{slug}/deploy", null)).StatusCode);
        var deployed = await WaitForStatusAsync(slug, "Deployed");
        Assert.Equal(deployed.GetProperty("targetRevision").GetString(), deployed.GetProperty("currentRevision").GetString());

        var address = await AddressAsync(slug);
        using var http = new HttpClient();
        Assert.Equal("hello from v1", await http.GetStringAsync($"{address}/apps/default/{slug}/"));

        // Through the Api's proxy, behind login.
        Assert.Equal("hello from v1", await api.Owner().GetStringAsync($"/apps/default/{slug}/"));
        Assert.Equal($"authorization=none path=/apps/default/{slug}/whoami?x=1", await api.Owner().GetStringAsync($"/apps/default/{slug}/whoami?x=1"));
        await (await api.Client(null).GetAsync($"/apps/default/{slug}/")).AssertProblem(401, "unauthorized");
        await (await api.Owner().GetAsync("/apps/default/no-such-app/")).AssertProblem(404, "not-found");
        var (_, viewer, _) = await api.MemberWithTokenAsync("Viewer");
        Assert.Equal("hello from v1", await api.Client(viewer).GetStringAsync($"/apps/default/{slug}/"));

        var logs = await Eventually.Get(async () => await (await api.Owner().GetAsync($"/api/workspaces/default/projects/{slug}/logs?tail=50")).Json(),
            l => l.EnumerateArray().Any(x => x.GetProperty("line").GetString()!.Contains("serving under")), TimeSpan.FromSeconds(10), "the app's log");
        Assert.Contains(logs.EnumerateArray(), l => l.GetProperty("stream").GetString() == "stdout");

        var pid = int.Parse((await api.Database.ScalarAsync<string>(
            "SELECT result->>'pid' FROM assignments WHERE workload_id = $1 AND kind = 'start' ORDER BY created_at DESC LIMIT 1", $"project/{deployed.GetProperty("id").GetGuid()}"))!);
        Assert.True(Signals.IsAlive(pid));

        Assert.Equal(202, (int)(await api.Owner().PostAsync($"/api/workspaces/default/projects/{slug}/stop", null)).StatusCode);
        await WaitForStatusAsync(slug, "Stopped");
        Assert.Null(await AddressAsync(slug));
        await Eventually.Get(() => Task.FromResult(Signals.GroupIsAlive(pid)), alive => !alive, TimeSpan.FromSeconds(15), "the app's processes to end");
        await Assert.ThrowsAsync<HttpRequestException>(() => http.GetStringAsync($"{address}/apps/default/{slug}/"));
        await (await api.Owner().GetAsync($"/apps/default/{slug}/")).AssertProblem(503, "app-unavailable");
        var page = new HttpRequestMessage(HttpMethod.Get, $"/apps/default/{slug}/") { Headers = { { "Accept", "text/html" } } };
        using (var html = await api.Owner().SendAsync(page))
        {
            Assert.Equal(503, (int)html.StatusCode);
            Assert.Contains("is not running", await html.Content.ReadAsStringAsync());
        }

        Assert.Equal(202, (int)(await api.Owner().PostAsync($"/api/workspaces/default/projects/{slug}/start", null)).StatusCode);
        await WaitForStatusAsync(slug, "Deployed");
        Assert.Equal("hello from v1", await http.GetStringAsync($"{await AddressAsync(slug)}/apps/default/{slug}/"));

        Assert.Equal(202, (int)(await api.Owner().PostAsync($"/api/workspaces/default/projects/{slug}/stop", null)).StatusCode);
        await WaitForStatusAsync(slug, "Stopped");
    }

    [Fact]
    public async Task AppThatExitsAtOnce_Fails_WithItsLastLogLines()
    {
        using var repository = GitTestRepository.Create(new Dictionary<string, string> { ["app.py"] = "import sys\nprint('cannot connect to the warehouse', flush=True)\nsys.exit(4)\n" });
        var slug = await CreateAsync(repository.FileUrl);

        await api.Owner().PostAsync($"/api/workspaces/default/projects/{slug}/deploy", null);
        var failed = await WaitForStatusAsync(slug, "Failed");

        var reason = failed.GetProperty("failure").GetProperty("reason").GetString()!;
        Assert.Contains("exited with code 4", reason);
        Assert.Contains("cannot connect to the warehouse", reason);
    }

    [Fact]
    public async Task StopWhenStopped_Is409NamingTheState()
    {
        using var repository = GitTestRepository.Create(new Dictionary<string, string> { ["app.py"] = "print(1)\n" });
        var slug = await CreateAsync(repository.FileUrl);

        var problem = await (await api.Owner().PostAsync($"/api/workspaces/default/projects/{slug}/stop", null)).AssertProblem(409, "illegal-transition");

        Assert.Equal("Created", problem.GetProperty("currentState").GetString());
    }
}
