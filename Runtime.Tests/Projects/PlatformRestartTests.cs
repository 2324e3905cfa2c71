using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Npgsql;
using Runtime.Execution.Processes;
using Runtime.Tests.Api;
using Runtime.Tests.Infrastructure;
using Xunit;

namespace Runtime.Tests.Projects;

/// <summary>
/// Silos asked to stop (SIGTERM, as the AppHost's Ctrl+C or a scale-down sends): they leave no app process
/// behind, and what was deployed comes back by itself, on a sibling at once or on the next start.
/// </summary>
public sealed class PlatformRestartTests(ApiFixture api) : IClassFixture<ApiFixture>, IDisposable
{
    // The silos of a test run on "this machine": they share a data directory no other test uses.
    private readonly DirectoryInfo _data = Directory.CreateTempSubdirectory("runtime-restart-");

    public void Dispose() => _data.Delete(recursive: true);

    private TestProcess StartSilo(string name, string? connectionString = null)
    {
        var environment = new Dictionary<string, string> { ["Runtime__DataDirectory"] = _data.FullName };
        if (connectionString is not null)
            environment["ConnectionStrings__runtime"] = connectionString;
        return api.Database.StartSiloProcess(name, environment);
    }

    // SIGTERM, then its exit; every app process it recorded is gone with it.
    private async Task StopGracefullyAsync(TestProcess silo)
    {
        silo.Signal(Signals.SigTerm);
        await silo.WaitForExitAsync(TimeSpan.FromSeconds(60));
        var records = Records().ToList();
        Assert.NotEmpty(records);
        // A sibling silo may already have taken a record over (its owner then) and started the app again.
        foreach (var record in records.Where(r => r.GetProperty("owner").GetProperty("pid").GetInt32() == silo.Pid))
        {
            var pid = record.GetProperty("pid").GetInt32();
            Assert.False(Signals.GroupIsAlive(pid), $"app process {pid} outlived its silo");
        }
    }

    private IEnumerable<JsonElement> Records() =>
        Directory.EnumerateFiles(Path.Combine(_data.FullName, "workloads"), "workload.json", SearchOption.AllDirectories)
            .Select(path => JsonDocument.Parse(File.ReadAllText(path)).RootElement);

    private async Task<string> DeployAsync()
    {
        using var repository = GitTestRepository.Create(new Dictionary<string, string> { ["app.py"] = TestApps.Breakable });
        var response = await api.Owner().PostAsJsonAsync("/api/workspaces/default/projects", new
        {
            name = "Back " + Guid.NewGuid().ToString("N")[..8], appType = "dash", pythonEnvironment = "default", repositoryUrl = repository.FileUrl, branch = "main", path = "app.py",
        });
        Assert.True(201 == (int)response.StatusCode, await response.Content.ReadAsStringAsync());
        var slug = (await response.Json()).GetProperty("slug").GetString()!;
        Assert.Equal(202, (int)(await api.Owner().PostAsync($"/api/workspaces/default/projects/{slug}/deploy", null)).StatusCode);
        await ProjectAsync(slug, p => p.GetProperty("status").GetString() == "Deployed", "Deployed", TimeSpan.FromSeconds(60));
        return slug;
    }

    private Task<JsonElement> ProjectAsync(string slug, Func<JsonElement, bool> done, string what, TimeSpan timeout) =>
        Eventually.Get(async () => await (await api.Owner().GetAsync($"/api/workspaces/default/projects/{slug}")).Json(), done, timeout, $"{slug}: {what}");

    private async Task<int> ServedPidAsync(string slug, TimeSpan timeout)
    {
        var served = await Eventually.Get(() => api.Owner().GetAsync($"/apps/default/{slug}/pid"), r => r.IsSuccessStatusCode, timeout, $"{slug} to serve");
        return int.Parse(await served.Content.ReadAsStringAsync());
    }

    private Task<string?> AgentAsync(string slug) => api.Database.ScalarAsync<string>(
        "SELECT claimed_by FROM assignments WHERE workload_id = 'project/' || (SELECT key FROM projects WHERE slug = $1) AND kind = 'start' ORDER BY created_at DESC LIMIT 1", slug);

    private static bool Noticed(JsonElement project, string text) =>
        project.GetProperty("notice").ValueKind == JsonValueKind.String && project.GetProperty("notice").GetString()!.Contains(text, StringComparison.Ordinal);

    [Fact]
    public async Task A_project_deployed_when_every_silo_stopped_is_deployed_and_serving_after_the_next_start_without_a_call()
    {
        string slug;
        int before;
        await using (var silo = StartSilo("silo-before"))
        {
            slug = await DeployAsync();
            before = await ServedPidAsync(slug, TimeSpan.FromSeconds(10));
            await StopGracefullyAsync(silo);
        }
        Assert.False(Signals.GroupIsAlive(before));
        // Every silo is down, the grains' one too: nothing is left running but PostgreSQL.
        await api.StopGrainHostAsync();
        try
        {
            Assert.All(Records(), r => Assert.True(r.GetProperty("leftByStop").GetBoolean()));
        }
        finally
        {
            await api.StartGrainHostAsync();
        }

        // The next start reaches the same database at another address (as an embedded PostgreSQL on another free port would).
        var elsewhere = new NpgsqlConnectionStringBuilder(api.Database.ConnectionString) { Host = "localhost" }.ConnectionString;
        await using var next = StartSilo("silo-after", elsewhere);
        var after = await ServedPidAsync(slug, TimeSpan.FromSeconds(60));
        Assert.NotEqual(before, after);
        Assert.Equal("hello from breakable", await api.Owner().GetStringAsync($"/apps/default/{slug}/"));
        var project = await ProjectAsync(slug, p => Noticed(p, "silo running it was stopped"), "the start again noticed", TimeSpan.FromSeconds(10));
        Assert.Equal("Deployed", project.GetProperty("status").GetString());
    }

    [Fact]
    public async Task A_silo_stopped_while_another_runs_leaves_its_app_to_the_other_at_once_and_the_project_stays_Deployed()
    {
        await using var first = StartSilo("silo-one");
        await using var second = StartSilo("silo-two");
        var slug = await DeployAsync();
        var before = await ServedPidAsync(slug, TimeSpan.FromSeconds(10));
        var agent = await AgentAsync(slug);
        var pid = await api.Database.ScalarAsync<int>("SELECT pid FROM silos WHERE id::text = $1", agent!);
        var (stopping, staying) = pid == first.Pid ? (first, second) : (second, first);
        Assert.Equal(pid, stopping.Pid);

        await StopGracefullyAsync(stopping);

        // Taken over by the silo that stays, well before any lease or dead-silo deadline.
        await Eventually.Get(() => AgentAsync(slug), a => a != agent, TimeSpan.FromSeconds(30), "the other silo to take the app over");
        var after = await ServedPidAsync(slug, TimeSpan.FromSeconds(30));
        Assert.NotEqual(before, after);
        Assert.Equal(0, await api.Database.ScalarAsync<int>("SELECT count(*) FROM silos WHERE pid = $1 AND status = 'active'", stopping.Pid));
        var project = await ProjectAsync(slug, p => Noticed(p, "silo running it was stopped"), "the start again noticed", TimeSpan.FromSeconds(10));
        Assert.Equal("Deployed", project.GetProperty("status").GetString());
        Assert.Equal(JsonValueKind.Null, project.GetProperty("failure").ValueKind);
        Assert.False(staying.Exited.IsCompleted);
    }

    [Fact]
    public async Task An_interactive_job_serving_when_the_silos_stopped_comes_back_stopped_and_a_visit_starts_it_again()
    {
        using var repository = GitTestRepository.Create(new Dictionary<string, string> { ["app.py"] = TestApps.Breakable, ["serve.py"] = TestApps.Settings });
        var (project, _) = await api.PulledProjectAsync(repository.FileUrl, "Explore");
        var created = await api.Owner().PostAsJsonAsync($"{project}/jobs", new { name = "explore", path = "serve.py", interactive = true, idleTimeoutSeconds = 600 });
        Assert.True(201 == (int)created.StatusCode, await created.Content.ReadAsStringAsync());
        var url = (await created.Json()).GetProperty("url").GetString()!;
        async Task<List<JsonElement>> RunsAsync() =>
            (await (await api.Owner().GetAsync($"{project}/jobs/explore/runs")).Json()).GetProperty("items").EnumerateArray().ToList();
        Task Open() => Eventually.Get(() => api.Owner().GetAsync(url), r => r.StatusCode == HttpStatusCode.OK, TimeSpan.FromSeconds(60), $"{url} to answer");

        await using (var silo = StartSilo("silo-serving"))
        {
            await Open();
            Assert.Equal("Running", Assert.Single(await RunsAsync()).GetProperty("status").GetString());
            await StopGracefullyAsync(silo);
        }

        await using var next = StartSilo("silo-next");
        // Its run ended as an idle stop ends one: Completed, saying why.
        var ended = await Eventually.Get(async () => (await RunsAsync()).Single(), r => r.GetProperty("status").GetString() == "Completed",
            TimeSpan.FromSeconds(60), "the run to end");
        Assert.Contains("stopped with the silo serving it", ended.GetProperty("reason").GetString());
        Assert.Empty(Directory.EnumerateFiles(Path.Combine(_data.FullName, "workloads"), "workload.json", SearchOption.AllDirectories));

        // The next visit starts it again, as a second run.
        await (await api.Owner().GetAsync(url)).AssertProblem(503, "app-starting");
        await Open();
        var runs = await RunsAsync();
        Assert.Equal(2, runs.Count);
        Assert.Equal("Running", runs[0].GetProperty("status").GetString());
    }

    [Fact]
    public async Task A_project_whose_app_cannot_be_started_again_after_the_restart_ends_Failed_with_the_reason()
    {
        string slug;
        await using (var silo = StartSilo("silo-lost"))
        {
            slug = await DeployAsync();
            await StopGracefullyAsync(silo);
        }
        // Its unpacked revision and the revision's archive are both gone while the platform was down.
        var record = Assert.Single(Records(), r => r.GetProperty("workloadId").GetString()!.StartsWith("project/", StringComparison.Ordinal)
            && r.GetProperty("workload").GetProperty("basePath").GetString()!.EndsWith("/" + slug, StringComparison.Ordinal));
        var archive = record.GetProperty("workload").GetProperty("archive").GetString()!;
        Directory.Delete(Path.Combine(record.GetProperty("directory").GetString()!, "app"), recursive: true);
        await api.Database.ExecuteAsync($"DELETE FROM blob_chunks WHERE hash = '{archive}'; DELETE FROM blobs WHERE hash = '{archive}'");

        await using var next = StartSilo("silo-after-loss");
        var failed = await ProjectAsync(slug, p => p.GetProperty("status").GetString() == "Failed", "Failed", TimeSpan.FromSeconds(60));
        var reason = failed.GetProperty("failure").GetProperty("reason").GetString()!;
        Assert.Contains("could not be started again", reason);
        Assert.Contains("missing from the store", reason);
        Assert.Equal(503, (int)(await api.Owner().GetAsync($"/apps/default/{slug}/")).StatusCode);
    }
}
