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
    public async Task Pull_RollsToTheNewCommit_Rollback_Restart_AndAnUnhealthyCommitLeavesTheOldOneServing()
    {
        using var repository = GitTestRepository.Create(new Dictionary<string, string> { ["app.py"] = TestApps.Flask("v1") });
        var slug = await CreateAsync(repository.FileUrl);
        var project = $"/api/workspaces/default/projects/{slug}";
        await api.Owner().PostAsync($"{project}/deploy", null);
        var v1 = (await WaitForStatusAsync(slug, "Deployed")).GetProperty("currentRevision").GetString()!;
        Assert.Equal("hello from v1", await api.Owner().GetStringAsync($"/apps/default/{slug}/"));
        var firstAddress = await AddressAsync(slug);

        // A new commit, pulled: the new revision serves once healthy and the old workload is stopped.
        var v2 = repository.Commit(new Dictionary<string, string> { ["app.py"] = TestApps.Flask("v2") }, "v2");
        Assert.Equal(202, (int)(await api.Owner().PostAsync($"{project}/pull", null)).StatusCode);
        await ServingAsync(slug, "hello from v2");
        Assert.Equal(v2, (await (await api.Owner().GetAsync(project)).Json()).GetProperty("currentRevision").GetString());
        await Eventually.Get(async () =>
        {
            try
            {
                using var direct = new HttpClient();
                await direct.GetStringAsync($"{firstAddress}/apps/default/{slug}/");
                return false;
            }
            catch (HttpRequestException)
            {
                return true;
            }
        }, stopped => stopped, TimeSpan.FromSeconds(20), "the old workload to stop");

        // Rollback: deploying an older revision serves it again.
        Assert.Equal(202, (int)(await api.Owner().PostAsJsonAsync($"{project}/deploy", new { revision = v1 })).StatusCode);
        await ServingAsync(slug, "hello from v1");

        // Restart: a fresh workload of the same revision.
        var before = await AddressAsync(slug);
        Assert.Equal(202, (int)(await api.Owner().PostAsync($"{project}/restart", null)).StatusCode);
        await Eventually.Get(() => AddressAsync(slug), address => address != before, TimeSpan.FromSeconds(30), "the restart");
        Assert.Equal("hello from v1", await api.Owner().GetStringAsync($"/apps/default/{slug}/"));

        // A commit that never becomes healthy: the serving revision stays, and the project says so.
        repository.Commit(new Dictionary<string, string> { ["app.py"] = "raise SystemExit('broken build')\n" }, "broken");
        await api.Owner().PostAsync($"{project}/pull", null);
        var after = await Eventually.Get(async () => await (await api.Owner().GetAsync(project)).Json(),
            p => p.GetProperty("notice").ValueKind == JsonValueKind.String, TimeSpan.FromSeconds(30), "the failed roll");
        Assert.Contains("did not become healthy", after.GetProperty("notice").GetString());
        Assert.Equal("Deployed", after.GetProperty("status").GetString());
        Assert.Equal("hello from v1", await api.Owner().GetStringAsync($"/apps/default/{slug}/"));

        // Rolling back to an unknown revision is a 400.
        await (await api.Owner().PostAsJsonAsync($"{project}/deploy", new { revision = "0000000" })).AssertProblem(400, "validation");

        var serving = await AddressAsync(slug);
        Assert.Equal(204, (int)(await api.Owner().DeleteAsync(project)).StatusCode);
        await Eventually.Get(async () =>
        {
            try
            {
                using var direct = new HttpClient();
                await direct.GetStringAsync($"{serving}/apps/default/{slug}/");
                return false;
            }
            catch (HttpRequestException)
            {
                return true;
            }
        }, stopped => stopped, TimeSpan.FromSeconds(20), "the deleted project's app to stop");
    }

    [Fact]
    public async Task FollowingLogs_DeliversEachLineUnderASecondAfterItWasPrinted()
    {
        using var repository = GitTestRepository.Create(new Dictionary<string, string> { ["app.py"] = TestApps.Ticking });
        var slug = await CreateAsync(repository.FileUrl);
        var project = $"/api/workspaces/default/projects/{slug}";
        await api.Owner().PostAsync($"{project}/deploy", null);
        await WaitForStatusAsync(slug, "Deployed");

        using var request = new HttpRequestMessage(HttpMethod.Get, $"{project}/logs/follow?tail=0");
        using var response = await api.Owner().SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
        Assert.Equal("text/event-stream", response.Content.Headers.ContentType?.MediaType);
        using var reader = new StreamReader(await response.Content.ReadAsStreamAsync());
        var lags = new List<double>();
        var ids = new List<long>();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        while (lags.Count < 20)
        {
            var text = await reader.ReadLineAsync(timeout.Token) ?? throw new EndOfStreamException();
            if (text.StartsWith("id: ", StringComparison.Ordinal))
                ids.Add(long.Parse(text[4..]));
            if (!text.StartsWith("data: ", StringComparison.Ordinal))
                continue;
            var line = JsonDocument.Parse(text[6..]).RootElement.GetProperty("line").GetString()!;
            var parts = line.Split(' ');
            if (parts is ["tick", _, var printed])
                lags.Add(DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() / 1000.0 - double.Parse(printed, System.Globalization.CultureInfo.InvariantCulture));
        }

        Assert.All(lags, lag => Assert.True(lag < 1.0, $"a line arrived {lag:0.000} s after it was printed"));
        Assert.Equal(ids.Order(), ids);
        await api.Owner().PostAsync($"{project}/stop", null);
        await WaitForStatusAsync(slug, "Stopped");
    }

    private async Task ServingAsync(string slug, string content) =>
        await Eventually.Get(async () =>
        {
            using var response = await api.Owner().GetAsync($"/apps/default/{slug}/");
            return await response.Content.ReadAsStringAsync();
        }, body => body == content, TimeSpan.FromSeconds(40), $"'{content}'");

    [Fact]
    public async Task AppThatExitsAtOnce_FailsAfterItsRestarts_WithItsLastLogLines()
    {
        using var repository = GitTestRepository.Create(new Dictionary<string, string> { ["app.py"] = "import sys\nprint('cannot connect to the warehouse', flush=True)\nsys.exit(4)\n" });
        var slug = await CreateAsync(repository.FileUrl);

        await api.Owner().PostAsync($"/api/workspaces/default/projects/{slug}/deploy", null);
        var failed = await WaitForStatusAsync(slug, "Failed");

        var reason = failed.GetProperty("failure").GetProperty("reason").GetString()!;
        Assert.Contains("exited with code 4", reason);
        Assert.Contains("cannot connect to the warehouse", reason);
        // Started once and restarted twice (Runtime:Agent:MaxRestarts in the tests), each time printing its line.
        var logs = await Eventually.Get(async () => await (await api.Owner().GetAsync($"/api/workspaces/default/projects/{slug}/logs?tail=100")).Json(),
            l => l.EnumerateArray().Count(x => x.GetProperty("line").GetString() == "cannot connect to the warehouse") >= 3, TimeSpan.FromSeconds(10), "three starts in the log");
        Assert.Equal(3, logs.EnumerateArray().Count(x => x.GetProperty("line").GetString() == "cannot connect to the warehouse"));
    }

    [Fact]
    public async Task AppNeverReadyWithinTheReadinessTimeout_Fails_AndItsProcessIsStopped()
    {
        using var repository = GitTestRepository.Create(new Dictionary<string, string> { ["app.py"] = TestApps.NeverReady });
        var slug = await CreateAsync(repository.FileUrl);

        await api.Owner().PostAsync($"/api/workspaces/default/projects/{slug}/deploy", null);
        var failed = await WaitForStatusAsync(slug, "Failed");

        var reason = failed.GetProperty("failure").GetProperty("reason").GetString()!;
        Assert.Contains("did not answer its health probe", reason);
        Assert.Contains("within 8 s", reason);
        Assert.Contains("warming up forever", reason);
        var projectId = failed.GetProperty("id").GetGuid().ToString("D");
        Assert.Empty(ProcessesWorkingIn(projectId));
    }

    // Processes whose working directory is one of the project's workload directories.
    private static List<int> ProcessesWorkingIn(string projectId)
    {
        var found = new List<int>();
        foreach (var entry in Directory.GetDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(entry), out var pid))
                continue;
            try
            {
                if (new DirectoryInfo(Path.Combine(entry, "cwd")).LinkTarget is { } cwd && cwd.Contains($"/workloads/{projectId}/", StringComparison.Ordinal))
                    found.Add(pid);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
            }
        }
        return found;
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
