using System.Net.Http.Json;
using System.Text.Json;
using Runtime.Tests.Api;
using Runtime.Tests.Infrastructure;
using Xunit;

namespace Runtime.Tests.Jobs;

/// <summary>Jobs while no silo runs: scheduled fires missed during downtime, and runs cancelled before any agent saw them.</summary>
public sealed class JobScheduleRecoveryTests(ApiFixture api) : IClassFixture<ApiFixture>
{
    // A pulled project with job.py; the silo that fetched it is gone again.
    private async Task<(string Project, GitTestRepository Repository)> ProjectAsync(string script = "print('ran', flush=True)\n")
    {
        var repository = GitTestRepository.Create(new Dictionary<string, string> { ["app.py"] = TestAppsForJobs.Idle, ["job.py"] = script });
        await using var silo = await api.Database.StartSiloAsync("silo-fetch");
        var (project, _) = await api.PulledProjectAsync(repository.FileUrl, "Down");
        return (project, repository);
    }

    private async Task<JsonElement[]> RunsAsync(string job) =>
        (await (await api.Owner().GetAsync($"{job}/runs")).Json()).GetProperty("items").EnumerateArray().ToArray();

    [Fact]
    public async Task FiresMissedWhileNoSiloRan_GiveExactlyOneCatchUpRun()
    {
        var (project, repository) = await ProjectAsync();
        using var repo = repository;
        var created = await api.Owner().PostAsJsonAsync($"{project}/jobs", new { name = "every-second", path = "job.py", overlap = "allow", schedule = new { cron = "* * * * * *" } });
        Assert.Equal(201, (int)created.StatusCode);
        var job = $"{project}/jobs/every-second";

        await api.StopGrainHostAsync();
        // A fire can fall due while the silo is still stopping: what ran by then is not downtime.
        var beforeDowntime = (await RunsAsync(job)).Select(r => r.GetProperty("id").GetGuid()).ToHashSet();
        DateTimeOffset restarted;
        try
        {
            await Task.Delay(3500); // three fire times with no silo at all
            Assert.Equal(beforeDowntime.Count, (await RunsAsync(job)).Length);
            restarted = DateTimeOffset.UtcNow;
            // Ticks missed within the replay window would each fire (a failover's); these count as downtime.
            await using (await api.Database.StartSiloAsync("silo-back", new Dictionary<string, string?> { ["Runtime:Reminders:ReplayWindow"] = "00:00:00" }))
            {
                await Eventually.Get(() => RunsAsync(job), r => r.Count(x => x.GetProperty("status").GetString() == "Completed") >= beforeDowntime.Count + 3, TimeSpan.FromSeconds(20), "runs after the restart");
                Assert.Equal(200, (int)(await api.Owner().PostAsync($"{job}/pause", null)).StatusCode);
            }
        }
        finally
        {
            await api.StartGrainHostAsync();
        }

        var runs = await RunsAsync(job);
        Assert.All(runs, r => Assert.Equal("schedule", r.GetProperty("trigger").GetString()));
        // Only one run is for a tick of the downtime: the missed ticks collapsed into it.
        var late = runs.Where(r => !beforeDowntime.Contains(r.GetProperty("id").GetGuid()) && r.GetProperty("scheduledFor").GetDateTimeOffset() < restarted.AddSeconds(-1)).ToList();
        var catchUp = Assert.Single(late);
        Assert.Equal(beforeDowntime.Count + 1, catchUp.GetProperty("number").GetInt32());
    }

    [Fact]
    public async Task RunCancelledWhilePending_NeverStarts()
    {
        var (project, repository) = await ProjectAsync();
        using var repo = repository;
        Assert.Equal(201, (int)(await api.Owner().PostAsJsonAsync($"{project}/jobs", new { name = "once", path = "job.py" })).StatusCode);
        var triggered = await (await api.Owner().PostAsync($"{project}/jobs/once/runs", null)).Json();
        var run = triggered.GetProperty("id").GetGuid();
        Assert.Equal("Pending", triggered.GetProperty("status").GetString());

        var cancelled = await (await api.Owner().PostAsync($"/api/workspaces/default/runs/{run}/cancel", null)).Json();
        Assert.Equal("Cancelled", cancelled.GetProperty("status").GetString());

        // An agent arrives: the run stays cancelled and nothing runs.
        await using (await api.Database.StartSiloAsync("silo-late"))
        {
            await Eventually.Get(() => api.Database.ScalarAsync<long>("""
                SELECT (SELECT count(*) FROM jobs WHERE jsonb_array_length(coalesce(meta -> 'outbox', '[]')) > 0)
                     + (SELECT count(*) FROM projects WHERE jsonb_array_length(coalesce(meta -> 'outbox', '[]')) > 0)
                """), n => n == 0, TimeSpan.FromSeconds(10), "the grains' messages to be delivered");
            await Task.Delay(1000);
        }
        var view = await (await api.Owner().GetAsync($"/api/workspaces/default/runs/{run}")).Json();
        Assert.Equal("Cancelled", view.GetProperty("status").GetString());
        Assert.Equal(JsonValueKind.Null, view.GetProperty("startedAt").ValueKind);
        Assert.Equal(0, (await (await api.Owner().GetAsync($"/api/workspaces/default/runs/{run}/logs")).Json()).GetArrayLength());
        Assert.Equal(0, await api.Database.ScalarAsync<long>("SELECT count(*) FROM assignments WHERE workload_id = $1", $"run/{run:D}"));
    }

    [Fact]
    public async Task RunWhoseSiloIsKilled_FailsAsAgentLost_AndTheNextSiloEndsItsProcess()
    {
        var (project, repository) = await ProjectAsync("import os, time\nprint('pid', os.getpid(), flush=True)\ntime.sleep(300)\n");
        using var repo = repository;
        Assert.Equal(201, (int)(await api.Owner().PostAsJsonAsync($"{project}/jobs", new { name = "long", path = "job.py" })).StatusCode);
        int pid;
        Guid run;
        await using (var doomed = api.Database.StartSiloProcess("silo-doomed-run"))
        {
            run = (await (await api.Owner().PostAsync($"{project}/jobs/long/runs", null)).Json()).GetProperty("id").GetGuid();
            var line = await Eventually.Get(async () => await (await api.Owner().GetAsync($"/api/workspaces/default/runs/{run}/logs")).Json(),
                l => l.EnumerateArray().Any(x => x.GetProperty("line").GetString()!.StartsWith("pid ", StringComparison.Ordinal)), TimeSpan.FromSeconds(30), "the run's pid");
            pid = int.Parse(line.EnumerateArray().First(x => x.GetProperty("line").GetString()!.StartsWith("pid ", StringComparison.Ordinal)).GetProperty("line").GetString()![4..]);
            doomed.Kill();
            await doomed.WaitForExitAsync(TimeSpan.FromSeconds(10));
        }
        Assert.True(Runtime.Execution.Processes.Signals.IsAlive(pid));

        await using var next = await api.Database.StartSiloAsync("silo-after");
        var failed = await Eventually.Get(async () => await (await api.Owner().GetAsync($"/api/workspaces/default/runs/{run}")).Json(),
            r => r.GetProperty("status").GetString() == "Failed", TimeSpan.FromSeconds(20), "the run to fail");
        Assert.StartsWith("agent lost", failed.GetProperty("reason").GetString());
        await Eventually.Get(() => Task.FromResult(Runtime.Execution.Processes.Signals.IsAlive(pid)), alive => !alive, TimeSpan.FromSeconds(20), "the orphaned process to end");
    }
}
