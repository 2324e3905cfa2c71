using System.Net.Http.Json;
using System.Text.Json;
using Runtime.Execution.Processes;
using Runtime.Tests.Api;
using Runtime.Tests.Infrastructure;
using Runtime.Tests.Jobs;
using Runtime.Tests.Projects;
using Xunit;

namespace Runtime.Tests.Environments;

/// <summary>
/// A real <c>runtime-agent</c> process serving a custom environment over the agent gateway: the
/// environment goes Online, a project's app deployed to it is reachable through /apps; the agent killed
/// with SIGKILL makes it Offline within the threshold, blocks deploys and fails its run as "agent lost";
/// started again, it comes back Online and takes the app over. Validation checks connections from it.
/// </summary>
public sealed class RemoteAgentTests(ApiFixture api) : IClassFixture<ApiFixture>, IAsyncLifetime
{
    private readonly string _agentData = Directory.CreateTempSubdirectory("runtime-agent-test-").FullName;
    private TestSilo _silo = null!;
    private TestProcess? _agent;

    public async Task InitializeAsync() => _silo = await api.Database.StartSiloAsync("silo-remote-agent");

    public async Task DisposeAsync()
    {
        if (_agent is not null)
            await _agent.DisposeAsync();
        await _silo.DisposeAsync();
        // Whatever the agent left running (it leaves apps on purpose) goes with the test.
        foreach (var record in Directory.EnumerateFiles(_agentData, "workload.json", SearchOption.AllDirectories))
        {
            if (JsonDocument.Parse(await File.ReadAllTextAsync(record)).RootElement.TryGetProperty("pid", out var pid) && pid.GetInt32() > 0)
                Signals.SendToGroup(pid.GetInt32(), Signals.SigKill);
        }
        Directory.Delete(_agentData, recursive: true);
    }

    private TestProcess StartAgent(Guid environment, string token) => TestProcess.StartDll("agent", "runtime-agent.dll",
        ["--api", api.ListeningAddress.ToString().TrimEnd('/'), "--environment", environment.ToString(), "--data-dir", _agentData, "--heartbeat-seconds", "1"],
        new Dictionary<string, string>
        {
            ["RUNTIME_AGENT_TOKEN"] = token,
            ["Runtime__Agent__Python"] = "/usr/bin/python3",
            ["Runtime__Agent__ReadinessTimeout"] = "00:00:08",
            ["Runtime__Agent__ProbeInterval"] = "00:00:00.500",
        });

    private async Task<JsonElement> StatusAsync(string environment, string status, int seconds) =>
        await Eventually.Get(async () => await (await api.Owner().GetAsync(environment)).Json(),
            e => e.GetProperty("status").GetString() == status, TimeSpan.FromSeconds(seconds), $"the environment to be {status}");

    [Fact]
    public async Task RemoteAgent_ServesTheEnvironment_GoesOfflineWhenKilled_AndTakesTheAppOverWhenBack()
    {
        using var repository = GitTestRepository.Create(new Dictionary<string, string> { ["app.py"] = TestApps.Breakable.Replace("hello from breakable", "hello from the edge", StringComparison.Ordinal), ["job.py"] = TestAppsForJobs.Idle });
        var created = await api.Owner().PostAsJsonAsync("/api/workspaces/default/projects", new
        {
            name = "Remote " + Guid.NewGuid().ToString("N")[..8], appType = "dash", pythonEnvironment = "default", repositoryUrl = repository.FileUrl, branch = "main", path = "app.py",
        });
        var slug = (await created.Json()).GetProperty("slug").GetString()!;
        var project = $"/api/workspaces/default/projects/{slug}";
        var environment = await api.Owner().PostAsJsonAsync($"{project}/environments", new { name = "edge-real", labels = new[] { "edge" } });
        var issued = await environment.Json();
        var (token, id) = (issued.GetProperty("token").GetString()!, issued.GetProperty("environment").GetProperty("id").GetGuid());
        var path = $"{project}/environments/edge-real";
        Assert.Equal(200, (int)(await api.Owner().PatchAsJsonAsync(project, new { environment = "edge-real" })).StatusCode);

        _agent = StartAgent(id, token);
        var online = await StatusAsync(path, "Online", 30);
        Assert.Equal(Environment.MachineName, online.GetProperty("agent").GetProperty("hostname").GetString());

        // Deployed on the agent, reached through the Api's proxy at the address the agent advertised.
        Assert.Equal(202, (int)(await api.Owner().PostAsync($"{project}/deploy", null)).StatusCode);
        var deployed = await Eventually.Get(async () => await (await api.Owner().GetAsync(project)).Json(),
            p => p.GetProperty("status").GetString() is "Deployed" or "Failed", TimeSpan.FromSeconds(60), "the deploy on the remote agent");
        Assert.True(deployed.GetProperty("status").GetString() == "Deployed", deployed.GetRawText() + "\n" + _agent.Output);
        Assert.Equal("hello from the edge", await api.Owner().GetStringAsync($"/apps/default/{slug}/"));
        var logs = await Eventually.Get(async () => await (await api.Owner().GetAsync($"{project}/logs?tail=100")).Json(),
            l => l.EnumerateArray().Any(x => x.GetProperty("line").GetString()!.StartsWith("serving under", StringComparison.Ordinal)), TimeSpan.FromSeconds(10), "the app's log, shipped by the agent");
        Assert.NotEmpty(logs.EnumerateArray());

        // Restarting the environment restarts its apps there: a fresh workload beside the serving one, then switched to.
        var pid = await api.Owner().GetStringAsync($"/apps/default/{slug}/pid");
        var restarted = await (await api.Owner().PostAsync($"{path}/restart", null)).Json();
        Assert.Equal([slug], restarted.GetProperty("restarted").EnumerateArray().Select(s => s.GetString()));
        await Eventually.Get(() => api.Owner().GetStringAsync($"/apps/default/{slug}/pid"), p => p != pid, TimeSpan.FromSeconds(30), "the restarted app to serve");

        // A connection the agent cannot reach fails its check with the address and why, and blocks the next deploy.
        var closedPort = FreePort.Next();
        Assert.Equal(200, (int)(await api.Owner().PutAsJsonAsync($"{project}/connections/warehouse", new { type = "postgres", fields = new { host = "127.0.0.1", port = closedPort.ToString(), database = "sales", user = "reader" } })).StatusCode);
        var report = await (await api.Owner().PostAsync($"{path}/validate", null)).Json();
        Assert.False(report.GetProperty("passed").GetBoolean());
        var check = report.GetProperty("checks").EnumerateArray().Single(c => c.GetProperty("name").GetString()!.StartsWith("connection warehouse", StringComparison.Ordinal));
        Assert.False(check.GetProperty("passed").GetBoolean());
        Assert.Contains($"127.0.0.1:{closedPort}", check.GetProperty("detail").GetString());
        Assert.Contains("refused", check.GetProperty("detail").GetString(), StringComparison.OrdinalIgnoreCase);
        var blocked = await (await api.Owner().PostAsync($"{project}/deploy", null)).AssertProblem(409, "environment-not-ready");
        Assert.Contains(blocked.GetProperty("checks").EnumerateArray(), c => c.GetProperty("name").GetString()!.StartsWith("connection warehouse", StringComparison.Ordinal));
        Assert.Equal(200, (int)(await api.Owner().DeleteAsync($"{project}/connections/warehouse")).StatusCode);

        // A run on the agent.
        var launched = await (await api.Owner().PostAsJsonAsync($"{project}/runs", new { path = "job.py" })).Json();
        var run = launched.GetProperty("id").GetGuid();
        await Eventually.Get(async () => await (await api.Owner().GetAsync($"/api/workspaces/default/runs/{run}")).Json(),
            r => r.GetProperty("status").GetString() == "Running", TimeSpan.FromSeconds(30), "the run to be running on the agent");

        // SIGKILL: Offline within the threshold (2 s here) plus 2 s; deploys refused; the run lost.
        Signals.Send(_agent.Pid, Signals.SigKill);
        var killedAt = DateTimeOffset.UtcNow;
        var offline = await StatusAsync(path, "Offline", 10);
        Assert.True(offline.GetProperty("statusChangedAt").GetDateTimeOffset() - killedAt < TimeSpan.FromSeconds(4),
            $"offline at {offline.GetProperty("statusChangedAt")}, killed at {killedAt:O}");
        var refused = await (await api.Owner().PostAsync($"{project}/restart", null)).AssertProblem(409, "conflict");
        Assert.Contains("environment edge-real is offline since", refused.GetProperty("detail").GetString());
        var lost = await Eventually.Get(async () => await (await api.Owner().GetAsync($"/api/workspaces/default/runs/{run}")).Json(),
            r => r.GetProperty("status").GetString() == "Failed", TimeSpan.FromSeconds(10), "the run to be lost");
        Assert.Equal("agent lost: environment edge-real, whose agent ran it, is offline", lost.GetProperty("reason").GetString());

        // Back: Online again, the app (which outlived its agent) taken over and still served.
        await _agent.DisposeAsync();
        _agent = StartAgent(id, token);
        await StatusAsync(path, "Online", 30);
        Assert.Equal("hello from the edge", await api.Owner().GetStringAsync($"/apps/default/{slug}/"));
        // The agent measures its heartbeats' round trip and sends it with the next.
        var troubleshooting = await Eventually.Get(async () => await (await api.Owner().GetAsync($"{path}/troubleshoot")).Json(),
            t => t.GetProperty("network").GetProperty("roundTripMs").ValueKind == JsonValueKind.Number, TimeSpan.FromSeconds(10), "a round trip");
        Assert.True(troubleshooting.GetProperty("network").GetProperty("roundTripMs").GetDouble() > 0);

        // Retiring refuses while the agent runs the app; forced, it stops the app first.
        await Eventually.Get(async () => await (await api.Owner().GetAsync(path)).Json(),
            e => e.GetProperty("agent").GetProperty("workloads").GetInt32() == 1, TimeSpan.FromSeconds(10), "the agent to report the app it took over");
        var running = await (await api.Owner().PostAsync($"{path}/retire", null)).AssertProblem(409, "illegal-transition");
        Assert.Contains("runs 1 workload", running.GetProperty("detail").GetString());
        var retiring = await (await api.Owner().PostAsync($"{path}/retire?force=true", null)).Json();
        Assert.StartsWith("retiring since", retiring.GetProperty("warning").GetString());
        var stopped = await Eventually.Get(async () => await (await api.Owner().GetAsync(project)).Json(),
            p => p.GetProperty("status").GetString() == "Stopped", TimeSpan.FromSeconds(20), "the app stopped by the agent");
        Assert.Contains("retired", stopped.GetProperty("notice").GetString());
        await StatusAsync(path, "Retired", 10);
        Assert.False((await (await api.Owner().GetAsync(path)).Json()).GetProperty("token").GetProperty("valid").GetBoolean());
    }
}
