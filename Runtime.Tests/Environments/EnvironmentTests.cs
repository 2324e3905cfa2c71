using System.Net.Http.Json;
using System.Text.Json;
using Runtime.Execution.Agents;
using Runtime.Tests.Api;
using Runtime.Tests.Infrastructure;
using Xunit;

namespace Runtime.Tests.Environments;

/// <summary>
/// Custom environments through the API and the agent gateway: records, tokens (wrong, rotated, revoked),
/// one agent identity at a time, Online/Offline from heartbeats, and that one environment's token
/// opens nothing of another's. The test speaks the gateway's protocol as an agent would.
/// </summary>
public sealed class EnvironmentTests(ApiFixture api) : IClassFixture<ApiFixture>, IAsyncLifetime
{
    private TestSilo _silo = null!;

    public async Task InitializeAsync() => _silo = await api.Database.StartSiloAsync("silo-environments");

    public async Task DisposeAsync() => await _silo.DisposeAsync();

    private async Task<string> ProjectAsync()
    {
        var response = await api.Owner().PostAsJsonAsync("/api/workspaces/default/projects", new
        {
            name = "Edge " + Guid.NewGuid().ToString("N")[..8], appType = "dash", pythonEnvironment = "default",
            repositoryUrl = "https://example.com/repo.git", branch = "main", path = "app.py",
        });
        Assert.True(201 == (int)response.StatusCode, await response.Content.ReadAsStringAsync());
        return $"/api/workspaces/default/projects/{(await response.Json()).GetProperty("slug").GetString()}";
    }

    private async Task<(string Path, string Token, Guid Id)> EnvironmentAsync(string project, string name)
    {
        var response = await api.Owner().PostAsJsonAsync($"{project}/environments", new { name, description = "plant floor", labels = new[] { "prod", "gpu" } });
        Assert.True(201 == (int)response.StatusCode, await response.Content.ReadAsStringAsync());
        var body = await response.Json();
        return ($"{project}/environments/{name}", body.GetProperty("token").GetString()!, body.GetProperty("environment").GetProperty("id").GetGuid());
    }

    private HttpClient Agent(string token, Guid agentId)
    {
        var client = api.Client(token);
        client.DefaultRequestHeaders.Add(AgentGateway.AgentIdHeader, agentId.ToString());
        return client;
    }

    private static AgentHeartbeat Beat(Guid agentId) =>
        new(agentId, "1.0.0-test", DateTimeOffset.UtcNow.AddMinutes(-1), "edge-box", new ResourceUsage(12.5, 1 << 30, 4L << 30, 10L << 30, 20L << 30), []);

    private static Task<HttpResponseMessage> HeartbeatAsync(HttpClient agent, Guid agentId) => agent.PostAsJsonAsync(AgentGateway.Heartbeat, Beat(agentId));

    [Fact]
    public async Task Environment_IsCreatedOffline_WithATokenShownOnce_AndGoesOnlineOnAHeartbeat_ThenOfflineAfterTheThreshold()
    {
        var project = await ProjectAsync();
        var (path, token, id) = await EnvironmentAsync(project, "berlin-plant-gpu");
        Assert.StartsWith("re_", token);
        var created = await (await api.Owner().GetAsync(path)).Json();
        Assert.Equal("Offline", created.GetProperty("status").GetString());
        Assert.Equal(["prod", "gpu"], created.GetProperty("labels").EnumerateArray().Select(l => l.GetString()));
        Assert.DoesNotContain(token, created.GetRawText());

        var agentId = Guid.NewGuid();
        // The server takes the heartbeat's time somewhere within the call.
        var beforeBeat = DateTimeOffset.UtcNow;
        var answer = await HeartbeatAsync(Agent(token, agentId), agentId);
        var afterBeat = DateTimeOffset.UtcNow;
        Assert.True(answer.IsSuccessStatusCode, await answer.Content.ReadAsStringAsync());
        Assert.Equal(id, (await answer.Json()).GetProperty("environmentId").GetGuid());
        var online = await (await api.Owner().GetAsync(path)).Json();
        Assert.Equal("Online", online.GetProperty("status").GetString());
        Assert.Equal("edge-box", online.GetProperty("agent").GetProperty("hostname").GetString());

        // No more heartbeats: Offline once the threshold (2 s here) has passed, within a second more.
        var offline = await Eventually.Get(async () => await (await api.Owner().GetAsync(path)).Json(),
            e => e.GetProperty("status").GetString() == "Offline", TimeSpan.FromSeconds(10), "the environment to go offline");
        var at = offline.GetProperty("statusChangedAt").GetDateTimeOffset();
        Assert.True((at - beforeBeat).TotalSeconds >= 1.5, $"offline {(at - beforeBeat).TotalSeconds:0.00} s after the heartbeat began");
        Assert.True((at - afterBeat).TotalSeconds <= 3.5, $"offline {(at - afterBeat).TotalSeconds:0.00} s after the heartbeat was answered");
        var transitions = offline.GetProperty("transitions").EnumerateArray().ToList();
        Assert.Equal("Offline", transitions[0].GetProperty("to").GetString());
        Assert.Contains("no heartbeat", transitions[0].GetProperty("reason").GetString());

        var troubleshooting = await (await api.Owner().GetAsync(path + "/troubleshoot")).Json();
        Assert.Equal("1.0.0-test", troubleshooting.GetProperty("process").GetProperty("version").GetString());
        Assert.True(troubleshooting.GetProperty("process").GetProperty("uptimeSeconds").GetDouble() >= 60);
        Assert.True(troubleshooting.GetProperty("token").GetProperty("valid").GetBoolean());
        Assert.Equal(12.5, troubleshooting.GetProperty("resources").GetProperty("cpuPercent").GetDouble());
    }

    [Fact]
    public async Task DeployingToAnOfflineEnvironment_Is409_NamingItAndSinceWhen()
    {
        var project = await ProjectAsync();
        await EnvironmentAsync(project, "edge-offline");
        Assert.Equal(200, (int)(await api.Owner().PatchAsJsonAsync(project, new { environment = "edge-offline" })).StatusCode);
        var problem = await (await api.Owner().PostAsync($"{project}/deploy", null)).AssertProblem(409, "conflict");
        Assert.Matches("environment edge-offline is offline since [0-9-]+ [0-9:]+Z", problem.GetProperty("detail").GetString());
        await (await api.Owner().PostAsJsonAsync($"{project}/runs", new { path = "job.py" })).AssertProblem(409, "conflict");
        await (await api.Owner().PostAsJsonAsync($"{project}/serve", new { path = "notebook.py" })).AssertProblem(409, "conflict");
        // A visit to an interactive job does not start it there either; it says why.
        var job = await (await api.Owner().PostAsJsonAsync($"{project}/jobs", new { name = "explore", path = "notebook.py", interactive = true })).Json();
        var visit = await (await api.Owner().GetAsync(job.GetProperty("url").GetString())).AssertProblem(503, "environment-offline");
        Assert.Contains("environment edge-offline is offline since", visit.GetProperty("detail").GetString());
        Assert.Equal(0, (await (await api.Owner().GetAsync($"{project}/jobs/explore/runs")).Json()).GetProperty("items").GetArrayLength());
        await (await api.Owner().PatchAsJsonAsync(project, new { environment = "no-such-place" })).AssertProblem(400, "validation");
    }

    [Fact]
    public async Task AScheduledRunForAnOfflineEnvironment_WaitsPendingUntilTheDeadline_ThenFailsEnvironmentOffline()
    {
        using var repository = GitTestRepository.Create(new Dictionary<string, string> { ["app.py"] = "print('hi')\n", ["job.py"] = "print('ran')\n" });
        var (project, _) = await api.PulledProjectAsync(repository.FileUrl, "Offline");
        await EnvironmentAsync(project, "edge-scheduled");
        Assert.Equal(200, (int)(await api.Owner().PatchAsJsonAsync(project, new { environment = "edge-scheduled" })).StatusCode);

        var job = await api.Owner().PostAsJsonAsync($"{project}/jobs", new { name = "tick", path = "job.py", schedule = new { cron = "* * * * * *" } });
        Assert.True(201 == (int)job.StatusCode, await job.Content.ReadAsStringAsync());
        var pending = await Eventually.Get(async () => await (await api.Owner().GetAsync($"{project}/jobs/tick/runs")).Json(),
            r => r.GetProperty("items").GetArrayLength() > 0, TimeSpan.FromSeconds(10), "a scheduled run");
        Assert.Equal("Pending", pending.GetProperty("items")[0].GetProperty("status").GetString());
        var failed = await Eventually.Get(async () => await (await api.Owner().GetAsync($"{project}/jobs/tick/runs")).Json(),
            r => r.GetProperty("items").EnumerateArray().Any(x => x.GetProperty("status").GetString() == "Failed"), TimeSpan.FromSeconds(20), "a run to fail");
        var run = failed.GetProperty("items").EnumerateArray().Last(x => x.GetProperty("status").GetString() == "Failed");
        Assert.Equal("schedule", run.GetProperty("trigger").GetString());
        Assert.StartsWith("environment offline: no agent took the run within 3 s", run.GetProperty("reason").GetString());
        Assert.Equal(200, (int)(await api.Owner().PostAsync($"{project}/jobs/tick/pause", null)).StatusCode);
    }

    [Fact]
    public async Task Tokens_Wrong_RotatedOutAfterGrace_OrRevoked_Are401_AndASecondAgentWhileTheFirstIsOnlineIs409()
    {
        var project = await ProjectAsync();
        var (path, token, _) = await EnvironmentAsync(project, "edge-tokens");
        var first = Guid.NewGuid();
        Assert.Equal(200, (int)(await HeartbeatAsync(Agent(token, first), first)).StatusCode);

        await (await HeartbeatAsync(Agent("re_wrong", first), first)).AssertProblem(401, "unauthorized");
        await (await HeartbeatAsync(Agent(api.OwnerToken, first), first)).AssertProblem(401, "unauthorized");

        // A second agent with the same token while the first is online: refused, and recorded.
        var second = Guid.NewGuid();
        var refused = await (await HeartbeatAsync(Agent(token, second), second)).AssertProblem(409, "agent-conflict");
        Assert.Contains(first.ToString(), refused.GetProperty("detail").GetString());
        var events = (await (await api.Owner().GetAsync(path + "/troubleshoot")).Json()).GetProperty("events").EnumerateArray();
        Assert.Contains(events, e => e.GetProperty("kind").GetString() == "agent-refused" && e.GetProperty("detail").GetString()!.Contains(second.ToString()));
        // The refused agent may not claim either.
        await (await Agent(token, second).PostAsJsonAsync(AgentGateway.Claim, new ClaimRequest(second, 1, 0))).AssertProblem(409, "conflict");

        // Rotated with a grace: both work; rotated without one: the old one stops at once.
        var rotated = await (await api.Owner().PostAsJsonAsync(path + "/token/rotate", new { graceSeconds = 60 })).Json();
        var newToken = rotated.GetProperty("token").GetString()!;
        Assert.Equal(200, (int)(await HeartbeatAsync(Agent(token, first), first)).StatusCode);
        Assert.Equal(200, (int)(await HeartbeatAsync(Agent(newToken, first), first)).StatusCode);
        var again = (await (await api.Owner().PostAsJsonAsync(path + "/token/rotate", new { graceSeconds = 0 })).Json()).GetProperty("token").GetString()!;
        await (await HeartbeatAsync(Agent(newToken, first), first)).AssertProblem(401, "unauthorized");
        Assert.Equal(200, (int)(await HeartbeatAsync(Agent(again, first), first)).StatusCode);

        Assert.Equal(200, (int)(await api.Owner().PostAsync(path + "/token/revoke", null)).StatusCode);
        await (await HeartbeatAsync(Agent(again, first), first)).AssertProblem(401, "unauthorized");
        Assert.False((await (await api.Owner().GetAsync(path)).Json()).GetProperty("token").GetProperty("valid").GetBoolean());
    }

    [Fact]
    public async Task OneEnvironmentsToken_CannotClaimOrSeeAnothersAssignments()
    {
        var project = await ProjectAsync();
        var (_, tokenA, _) = await EnvironmentAsync(project, "edge-a");
        var (_, tokenB, idB) = await EnvironmentAsync(project, "edge-b");
        var (agentA, agentB) = (Guid.NewGuid(), Guid.NewGuid());
        Assert.Equal(200, (int)(await HeartbeatAsync(Agent(tokenA, agentA), agentA)).StatusCode);
        Assert.Equal(200, (int)(await HeartbeatAsync(Agent(tokenB, agentB), agentB)).StatusCode);

        // An assignment for B, as a grain queues it.
        var assignment = Guid.CreateVersion7();
        await using (var insert = api.Database.DataSource.CreateCommand("""
            INSERT INTO assignments (id, environment_id, workload_id, kind, spec, grain_type, grain_key, status, available_at, created_at)
            VALUES ($1, $2, 'project/x', 'stop', '{"assignmentId": "00000000-0000-0000-0000-000000000001"}', 'project', $3, 'pending', now(), now())
            """))
        {
            insert.Parameters.Add(new Npgsql.NpgsqlParameter { Value = assignment });
            insert.Parameters.Add(new Npgsql.NpgsqlParameter { Value = idB.ToString("D") });
            insert.Parameters.Add(new Npgsql.NpgsqlParameter { Value = Guid.NewGuid().ToString("D") });
            await insert.ExecuteNonQueryAsync();
        }

        var claimedByA = await (await Agent(tokenA, agentA).PostAsJsonAsync(AgentGateway.Claim, new ClaimRequest(agentA, 8, 0))).Json();
        Assert.Empty(claimedByA.EnumerateArray());
        await (await Agent(tokenA, agentA).PostAsJsonAsync(AgentGateway.Reports, new AgentReport(agentA, assignment, AgentEvents.Stopped))).AssertProblem(404, "not-found");
        await (await Agent(tokenA, agentA).PostAsJsonAsync(AgentGateway.Complete(assignment), new CompleteRequest(agentA, true, null))).AssertProblem(404, "not-found");
        await (await Agent(tokenA, agentA).PostAsJsonAsync(AgentGateway.Logs, new[] { new AgentLogLine("project/x", "stdout", DateTimeOffset.UtcNow, "x") }))
            .AssertProblem(400, "validation");

        var claimedByB = (await (await Agent(tokenB, agentB).PostAsJsonAsync(AgentGateway.Claim, new ClaimRequest(agentB, 8, 0))).Json()).EnumerateArray().ToList();
        var claimed = Assert.Single(claimedByB);
        Assert.Equal(assignment, claimed.GetProperty("id").GetGuid());
        Assert.Equal("stop", claimed.GetProperty("kind").GetString());
        Assert.Equal(204, (int)(await Agent(tokenB, agentB).PostAsJsonAsync(AgentGateway.Complete(assignment), new CompleteRequest(agentB, true, null))).StatusCode);
    }

    [Fact]
    public async Task ARetriedCreate_AnswersTheEnvironmentWithoutANewToken_AndTheFirstTokenKeepsWorking()
    {
        var project = await ProjectAsync();
        async Task<HttpResponseMessage> CreateAsync()
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, $"{project}/environments") { Content = JsonContent.Create(new { name = "edge-retried" }) };
            request.Headers.Add("Idempotency-Key", "create-edge-retried");
            return await api.Owner().SendAsync(request);
        }
        var first = await CreateAsync();
        Assert.Equal(201, (int)first.StatusCode);
        var token = (await first.Json()).GetProperty("token").GetString()!;
        var again = await CreateAsync();
        Assert.Equal(200, (int)again.StatusCode);
        var body = await again.Json();
        Assert.Equal(JsonValueKind.Null, body.GetProperty("token").ValueKind);
        Assert.Contains("Rotate", body.GetProperty("notice").GetString());
        var agent = Guid.NewGuid();
        Assert.Equal(200, (int)(await HeartbeatAsync(Agent(token, agent), agent)).StatusCode);
    }

    [Fact]
    public async Task EnvironmentBadInputs_Are400_AndOnlyOwnersManageThem()
    {
        var project = await ProjectAsync();
        async Task Field(HttpResponseMessage response, string field)
        {
            var problem = await response.AssertProblem(400, "validation");
            Assert.True(problem.GetProperty("errors").TryGetProperty(field, out _), await response.Content.ReadAsStringAsync());
        }
        await Field(await api.Owner().PostAsJsonAsync($"{project}/environments", new { name = "Berlin Plant" }), "name");
        await Field(await api.Owner().PostAsJsonAsync($"{project}/environments", new { name = "cloud" }), "name");
        await Field(await api.Owner().PostAsJsonAsync($"{project}/environments", new { name = "edge", labels = new[] { "GPU box!" } }), "labels");
        Assert.Empty((await (await api.Owner().GetAsync($"{project}/environments")).Json()).EnumerateArray());

        var (path, token, _) = await EnvironmentAsync(project, "edge-inputs");
        await (await api.Owner().PostAsJsonAsync($"{project}/environments", new { name = "edge-inputs" })).AssertProblem(409, "conflict");
        await Field(await api.Owner().PostAsJsonAsync(path + "/token/rotate", new { graceSeconds = -1 }), "graceSeconds");
        await Field(await api.Owner().PatchAsJsonAsync(path, new { name = "renamed" }), "name");
        var (_, memberToken, _) = await api.MemberWithTokenAsync("Member");
        await (await api.Client(memberToken).PostAsJsonAsync($"{project}/environments", new { name = "mine" })).AssertProblem(403, "forbidden");
        await (await api.Client(memberToken).PostAsync(path + "/token/rotate", null)).AssertProblem(403, "forbidden");
        // The agent gateway wants the agent's identity.
        await (await api.Client(token).PostAsJsonAsync(AgentGateway.Heartbeat, Beat(Guid.NewGuid()))).AssertProblem(400, "validation");

        Assert.Equal(200, (int)(await api.Owner().PostAsync(path + "/retire", null)).StatusCode);
        await (await api.Owner().PostAsync(path + "/retire", null)).AssertProblem(409, "illegal-transition");
        Assert.Equal("Retired", (await (await api.Owner().GetAsync(path)).Json()).GetProperty("status").GetString());
    }
}
