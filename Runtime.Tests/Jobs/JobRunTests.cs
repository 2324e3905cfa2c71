using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Runtime.Execution.Processes;
using Runtime.Tests.Api;
using Runtime.Tests.Infrastructure;
using Xunit;

namespace Runtime.Tests.Jobs;

/// <summary>Jobs of a project run as real scripts by the silo's agent: manual and scheduled runs, cancel, time limit, profiles.</summary>
public sealed class JobRunTests(ApiFixture api) : IClassFixture<ApiFixture>, IAsyncLifetime
{
    private TestSilo _silo = null!;

    public async Task InitializeAsync() => _silo = await api.Database.StartSiloAsync("silo-jobs");

    public async Task DisposeAsync() => await _silo.DisposeAsync();

    // A project whose repository holds job.py, fetched (pulled) but not deployed.
    private async Task<(string Project, GitTestRepository Repository)> ProjectAsync(string script)
    {
        var repository = GitTestRepository.Create(new Dictionary<string, string> { ["app.py"] = TestAppsForJobs.Idle, ["job.py"] = script });
        var (project, _) = await api.PulledProjectAsync(repository.FileUrl, "Jobs");
        return (project, repository);
    }

    private async Task<string> JobAsync(string project, object body)
    {
        var response = await api.Owner().PostAsJsonAsync($"{project}/jobs", body);
        Assert.True(201 == (int)response.StatusCode, await response.Content.ReadAsStringAsync());
        return $"{project}/jobs/{(await response.Json()).GetProperty("name").GetString()}";
    }

    private async Task<Guid> TriggerAsync(string job)
    {
        var response = await api.Owner().PostAsync($"{job}/runs", null);
        Assert.True(202 == (int)response.StatusCode, await response.Content.ReadAsStringAsync());
        return (await response.Json()).GetProperty("id").GetGuid();
    }

    private Task<JsonElement> WaitForRunAsync(Guid run, string status, int seconds = 30) =>
        Eventually.Get(async () => await (await api.Owner().GetAsync($"/api/workspaces/default/runs/{run}")).Json(),
            r => r.GetProperty("status").GetString() == status, TimeSpan.FromSeconds(seconds), $"run {run} to be {status}");

    // What the script printed (the log also holds the environment's build lines).
    private async Task<List<string>> LinesAsync(Guid run) =>
        (await (await api.Owner().GetAsync($"/api/workspaces/default/runs/{run}/logs?tail=1000")).Json()).EnumerateArray()
            .Where(l => l.GetProperty("stream").GetString() != "build").Select(l => l.GetProperty("line").GetString()!).ToList();

    [Fact]
    public async Task ManualRun_Completes_WithNumberExitCodeDurationRevision_AndItsWholeLog()
    {
        var (project, repository) = await ProjectAsync("import time\nfor i in range(3):\n    print('loading', i)\n    time.sleep(0.1)\nprint('done, last line', end='')\n");
        using var repo = repository;
        var job = await JobAsync(project, new { name = "load", path = "job.py" });

        var first = await TriggerAsync(job);
        var run = await WaitForRunAsync(first, "Completed");
        Assert.Equal(1, run.GetProperty("number").GetInt32());
        Assert.Equal("manual", run.GetProperty("trigger").GetString());
        Assert.Equal(0, run.GetProperty("exitCode").GetInt32());
        Assert.True(run.GetProperty("durationSeconds").GetDouble() >= 0.3);
        var revision = (await (await api.Owner().GetAsync(project)).Json()).GetProperty("targetRevision").GetString();
        Assert.Equal(revision, run.GetProperty("revision").GetString());
        Assert.Contains("No 'prod' profile detected", run.GetProperty("warning").GetString());
        // Complete as soon as the run has ended, the unterminated last line included.
        Assert.Equal(["loading 0", "loading 1", "loading 2", "done, last line"], await LinesAsync(first));

        var second = await TriggerAsync(job);
        Assert.Equal(2, (await WaitForRunAsync(second, "Completed")).GetProperty("number").GetInt32());
        var runs = await (await api.Owner().GetAsync($"{job}/runs")).Json();
        Assert.Equal([2, 1], runs.GetProperty("items").EnumerateArray().Select(r => r.GetProperty("number").GetInt32()));

        // The workspace overview: the job with its last run, and the runs newest first.
        var overview = await (await api.Owner().GetAsync("/api/workspaces/default/overview")).Json();
        var jobId = (await (await api.Owner().GetAsync(job)).Json()).GetProperty("id").GetGuid();
        var listed = overview.GetProperty("jobs").EnumerateArray().Single(j => j.GetProperty("id").GetGuid() == jobId);
        Assert.Equal(2, listed.GetProperty("lastRun").GetProperty("number").GetInt32());
        Assert.Equal("Completed", listed.GetProperty("lastRun").GetProperty("status").GetString());
        Assert.Equal(JsonValueKind.Null, listed.GetProperty("nextRunAt").ValueKind);
        var recent = overview.GetProperty("recentRuns").EnumerateArray().Select(r => r.GetProperty("id").GetGuid()).ToList();
        Assert.True(recent.IndexOf(second) < recent.IndexOf(first));
    }

    [Fact]
    public async Task FollowingARun_DeliversEachLineWhileTheRunRuns_AndEndsWithTheCompleteLog()
    {
        var (project, repository) = await ProjectAsync("""
            import time
            for n in range(30):
                print(f"tick {n} {time.time()}", flush=True)
                time.sleep(0.1)
            print("finished")
            """);
        using var repo = repository;
        var job = await JobAsync(project, new { name = "ticking", path = "job.py" });
        var run = await TriggerAsync(job);
        await WaitForRunAsync(run, "Running");

        using var response = await api.Owner().SendAsync(new HttpRequestMessage(HttpMethod.Get, $"/api/workspaces/default/runs/{run}/logs/follow?tail=0"),
            HttpCompletionOption.ResponseHeadersRead);
        using var reader = new StreamReader(await response.Content.ReadAsStreamAsync());
        var lags = new List<double>();
        var lines = new List<string>();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        string? text;
        var ended = false;
        while ((text = await reader.ReadLineAsync(timeout.Token)) is not null)
        {
            if (text == "event: end")
                ended = true;
            if (!text.StartsWith("data: ", StringComparison.Ordinal) || ended)
                continue;
            var line = JsonDocument.Parse(text[6..]).RootElement.GetProperty("line").GetString()!;
            lines.Add(line);
            if (line.Split(' ') is ["tick", _, var printed])
                lags.Add(DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() / 1000.0 - double.Parse(printed, System.Globalization.CultureInfo.InvariantCulture));
        }

        Assert.True(ended, "the stream ends with an end event once the run has ended");
        Assert.Equal("finished", lines[^1]);
        Assert.True(lags.Count >= 10, $"only {lags.Count} lines were followed live");
        // Live, not at the end: the lag itself (a tenth of a second) is measured by Runtime.Benchmarks -- runs,
        // since a loaded test machine may hold any one line back for a second.
        Assert.All(lags, lag => Assert.True(lag < 5.0, $"a line arrived {lag:0.000} s after it was printed"));
        Assert.Equal(31, (await LinesAsync(run)).Count);
    }

    [Fact]
    public async Task FailedRun_IsRetriedWithDoublingDelay_EachAttemptRecorded()
    {
        var (project, repository) = await ProjectAsync("import sys\nprint('flaky source', flush=True)\nsys.exit(1)\n");
        using var repo = repository;
        var job = await JobAsync(project, new { name = "flaky", path = "job.py", retries = 2, retryDelaySeconds = 1 });

        var first = await TriggerAsync(job);

        var runs = await Eventually.Get(async () => await (await api.Owner().GetAsync($"{job}/runs")).Json(),
            r => r.GetProperty("items").EnumerateArray().Count(x => x.GetProperty("status").GetString() == "Failed") == 3, TimeSpan.FromSeconds(30), "three failed attempts");
        var attempts = runs.GetProperty("items").EnumerateArray().OrderBy(r => r.GetProperty("number").GetInt32()).ToList();
        Assert.Equal([1, 2, 3], attempts.Select(r => r.GetProperty("attempt").GetInt32()));
        Assert.Equal(["manual", "retry", "retry"], attempts.Select(r => r.GetProperty("trigger").GetString()));
        Assert.All(attempts.Skip(1), r => Assert.Equal(first, r.GetProperty("retryOf").GetGuid()));
        var gaps = attempts.Zip(attempts.Skip(1), (a, b) => (b.GetProperty("createdAt").GetDateTimeOffset() - a.GetProperty("endedAt").GetDateTimeOffset()).TotalSeconds).ToList();
        Assert.True(gaps[0] >= 0.9 && gaps[1] >= 1.9, $"retry delays {string.Join(", ", gaps)} s");
        await Task.Delay(2500); // no fourth attempt
        Assert.Equal(3, (await (await api.Owner().GetAsync($"{job}/runs")).Json()).GetProperty("items").GetArrayLength());
    }

    [Fact]
    public async Task FollowUpJobs_RunWhenTheJobTheyFollowEndsTheirWay()
    {
        var (project, repository) = await ProjectAsync("print('loaded', flush=True)\n");
        using var repo = repository;
        var load = await JobAsync(project, new { name = "load", path = "job.py" });
        var report = await JobAsync(project, new { name = "report", path = "job.py", after = new { job = "load", on = "completed" } });
        var alert = await JobAsync(project, new { name = "alert", path = "job.py", after = new { job = "load", on = "failed" } });
        // Told to the followed job by a durable message, a moment later.
        await Eventually.Get(async () => await (await api.Owner().GetAsync(load)).Json(), j => j.GetProperty("followers").GetArrayLength() == 2,
            TimeSpan.FromSeconds(10), "both followers registered");

        await WaitForRunAsync(await TriggerAsync(load), "Completed");

        var followed = await Eventually.Get(async () => await (await api.Owner().GetAsync($"{report}/runs")).Json(),
            r => r.GetProperty("items").EnumerateArray().Any(x => x.GetProperty("status").GetString() == "Completed"), TimeSpan.FromSeconds(20), "the follow-up run");
        Assert.Equal("follow-up", followed.GetProperty("items")[0].GetProperty("trigger").GetString());
        await Task.Delay(1000);
        Assert.Equal(0, (await (await api.Owner().GetAsync($"{alert}/runs")).Json()).GetProperty("items").GetArrayLength());
        await (await api.Owner().PostAsJsonAsync($"{project}/jobs", new { name = "orphan", path = "job.py", after = new { job = "missing", on = "completed" } }))
            .AssertProblem(400, "validation");
    }

    [Fact]
    public async Task FailingScript_FailsWithItsExitCodeAndLastLines()
    {
        var (project, repository) = await ProjectAsync("import sys\nprint('cannot reach the warehouse', flush=True)\nsys.exit(3)\n");
        using var repo = repository;
        var job = await JobAsync(project, new { name = "broken", path = "job.py" });

        var run = await WaitForRunAsync(await TriggerAsync(job), "Failed");

        Assert.Equal(3, run.GetProperty("exitCode").GetInt32());
        Assert.Contains("exited with code 3", run.GetProperty("reason").GetString());
        Assert.Contains("cannot reach the warehouse", run.GetProperty("reason").GetString());
    }

    [Fact]
    public async Task ScheduledJob_RunsOnItsCron_NeverOverlapping_UntilPaused()
    {
        var (project, repository) = await ProjectAsync("import time\nprint('tick', flush=True)\ntime.sleep(1.5)\n");
        using var repo = repository;
        var job = await JobAsync(project, new { name = "every-second", path = "job.py", schedule = new { cron = "* * * * * *", timeZone = "Europe/Berlin" } });
        var view = await (await api.Owner().GetAsync(job)).Json();
        Assert.Equal(5, view.GetProperty("schedule").GetProperty("next").GetArrayLength());

        var runs = await Eventually.Get(async () => await (await api.Owner().GetAsync($"{job}/runs")).Json(),
            r => r.GetProperty("items").EnumerateArray().Count(x => x.GetProperty("status").GetString() == "Completed") >= 2, TimeSpan.FromSeconds(20), "two scheduled runs");
        Assert.Equal(200, (int)(await api.Owner().PostAsync($"{job}/pause", null)).StatusCode);

        var ended = runs.GetProperty("items").EnumerateArray().Where(r => r.GetProperty("status").GetString() == "Completed")
            .OrderBy(r => r.GetProperty("number").GetInt32()).ToList();
        Assert.All(ended, r => Assert.Equal("schedule", r.GetProperty("trigger").GetString()));
        // Overlap skip (the default): each run started after the one before ended, though the cron fires every second.
        for (var i = 1; i < ended.Count; i++)
            Assert.True(ended[i].GetProperty("startedAt").GetDateTimeOffset() >= ended[i - 1].GetProperty("endedAt").GetDateTimeOffset());

        // Paused: once what is active has ended, nothing new starts.
        await Task.Delay(2500);
        var count = (await (await api.Owner().GetAsync($"{job}/runs")).Json()).GetProperty("items").GetArrayLength();
        await Task.Delay(2000);
        Assert.Equal(count, (await (await api.Owner().GetAsync($"{job}/runs")).Json()).GetProperty("items").GetArrayLength());
    }

    [Fact]
    public async Task CancelWhileRunning_StopsTheWholeProcessTree()
    {
        var (project, repository) = await ProjectAsync("""
            import subprocess, time
            child = subprocess.Popen(["sh", "-c", "sleep 300 & echo grandchild $!; wait"], stdout=subprocess.PIPE, text=True)
            print("child", child.pid, flush=True)
            print(child.stdout.readline().strip(), flush=True)
            time.sleep(300)
            """);
        using var repo = repository;
        var job = await JobAsync(project, new { name = "long", path = "job.py" });
        var run = await TriggerAsync(job);
        await WaitForRunAsync(run, "Running");
        var lines = await Eventually.Get(() => LinesAsync(run), l => l.Any(x => x.StartsWith("grandchild", StringComparison.Ordinal)), TimeSpan.FromSeconds(10), "the pids");
        var pids = lines.Where(l => l.StartsWith("child", StringComparison.Ordinal) || l.StartsWith("grandchild", StringComparison.Ordinal))
            .Select(l => int.Parse(l.Split(' ')[1])).ToList();
        Assert.Equal(2, pids.Count);

        Assert.Equal(202, (int)(await api.Owner().PostAsync($"/api/workspaces/default/runs/{run}/cancel", null)).StatusCode);

        var cancelled = await WaitForRunAsync(run, "Cancelled", 20);
        Assert.Equal("cancelled", cancelled.GetProperty("reason").GetString());
        await Eventually.Get(() => Task.FromResult(pids.Any(Signals.IsAlive)), alive => !alive, TimeSpan.FromSeconds(5), "the tree to end");
        await (await api.Owner().PostAsync($"/api/workspaces/default/runs/{run}/cancel", null)).AssertProblem(409, "illegal-transition");
    }

    [Fact]
    public async Task TimeLimit_FailsTheRun_WithReasonTimeLimit()
    {
        var (project, repository) = await ProjectAsync("import time\nprint('working', flush=True)\ntime.sleep(60)\n");
        using var repo = repository;
        var job = await JobAsync(project, new { name = "slow", path = "job.py", timeLimitSeconds = 2 });

        var run = await WaitForRunAsync(await TriggerAsync(job), "Failed", 20);

        Assert.Equal("time limit", run.GetProperty("reason").GetString());
        Assert.InRange(run.GetProperty("durationSeconds").GetDouble(), 1.9, 10);
    }

    [Fact]
    public async Task BatchRun_GetsTheProdProfilesSecrets_NotTheAccessOnes()
    {
        var (project, repository) = await ProjectAsync(
            "import hashlib, os\nprint('token', hashlib.sha256(os.environ.get('TOKEN', '').encode()).hexdigest(), os.environ['RUNTIME_PROFILE'], flush=True)\n");
        using var repo = repository;
        var prod = "prod-" + Guid.NewGuid().ToString("N");
        Assert.True((await api.Owner().PutAsJsonAsync($"{project}/secrets/TOKEN?profile=prod", new { value = prod })).IsSuccessStatusCode);
        Assert.True((await api.Owner().PutAsJsonAsync($"{project}/secrets/TOKEN?profile=access", new { value = "access-" + Guid.NewGuid() })).IsSuccessStatusCode);
        var job = await JobAsync(project, new { name = "with-secrets", path = "job.py" });

        var id = await TriggerAsync(job);
        var run = await WaitForRunAsync(id, "Completed");

        Assert.Equal(JsonValueKind.Null, run.GetProperty("warning").ValueKind);
        var line = (await LinesAsync(id)).Single();
        Assert.Equal($"token {Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(prod)))} prod", line);
    }

    [Fact]
    public async Task Run_GetsItsProfilesConfigurationFiles_InDotDlt_WithSecretValuesMasked()
    {
        var (project, repository) = await ProjectAsync("""
            import hashlib, os
            print("files", sorted(os.listdir(".dlt")), os.environ["RUNTIME_PROFILE"], flush=True)
            text = open(".dlt/prod.secrets.toml").read()
            print("digest", hashlib.sha256(text.encode()).hexdigest(), flush=True)
            print("the token line is", text.strip(), flush=True)
            """);
        using var repo = repository;
        var token = "tok-" + Guid.NewGuid().ToString("N");
        var files = new Dictionary<string, string>
        {
            ["config.toml"] = "[runtime]\nlog_level = \"INFO\"\n",
            ["secrets.toml"] = "shared = \"shared-value\"\n",
            ["prod.secrets.toml"] = $"token = \"{token}\"\n",
            ["dev.secrets.toml"] = "token = \"dev-token\"\n",
        };
        var put = await api.Owner().PostAsJsonAsync($"{project}/configurations", new { files });
        Assert.Equal(201, (int)put.StatusCode);
        var text = await put.Content.ReadAsStringAsync();
        Assert.DoesNotContain(token, text);
        Assert.Equal(1, JsonDocument.Parse(text).RootElement.GetProperty("version").GetInt32());
        Assert.Equal(200, (int)(await api.Owner().PostAsJsonAsync($"{project}/configurations", new { files })).StatusCode); // unchanged: no new version
        await (await api.Owner().PostAsJsonAsync($"{project}/configurations", new { files = new Dictionary<string, string> { ["staging.secrets.toml"] = "x = 1" } }))
            .AssertProblem(400, "validation");
        Assert.DoesNotContain(token, await api.Owner().GetStringAsync($"{project}/configurations"));

        var job = await JobAsync(project, new { name = "with-config", path = "job.py" });
        var id = await TriggerAsync(job);
        var run = await WaitForRunAsync(id, "Completed");

        Assert.Equal(1, run.GetProperty("configurationVersion").GetInt32());
        var lines = await LinesAsync(id);
        Assert.Equal("files ['config.toml', 'prod.secrets.toml', 'secrets.toml'] prod", lines[0]);
        Assert.Equal($"digest {Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(files["prod.secrets.toml"])))}", lines[1]);
        Assert.Equal("the token line is token = \"***\"", lines[2]);
    }

    [Fact]
    public async Task JobSchedule_IsChangedFromItsNextTick_AndCancelled_OnlyChangeableFieldsChange()
    {
        var (project, repository) = await ProjectAsync("print('x')\n");
        using var repo = repository;
        var job = await JobAsync(project, new { name = "nightly", path = "job.py", schedule = new { cron = "0 3 * * *" } });

        var changed = await (await api.Owner().PatchAsJsonAsync(job, new { schedule = new { cron = "0 4 * * *", timeZone = "Europe/Berlin" }, retries = 2, overlap = "queue" })).Json();
        Assert.Equal("0 4 * * *", changed.GetProperty("schedule").GetProperty("cron").GetString());
        var next = changed.GetProperty("schedule").GetProperty("next")[0].GetDateTimeOffset();
        Assert.Equal(4, TimeZoneInfo.ConvertTime(next, TimeZoneInfo.FindSystemTimeZoneById("Europe/Berlin")).Hour);
        Assert.Equal(2, changed.GetProperty("retries").GetInt32());
        Assert.Equal("queue", changed.GetProperty("overlap").GetString());
        Assert.Equal(1, await api.Database.ScalarAsync<long>("SELECT count(*) FROM jobs, jsonb_object_keys(coalesce(meta -> 'reminders', '{}')) AS reminder WHERE key = $1 AND reminder = 'schedule'", changed.GetProperty("id").GetGuid().ToString("D")));

        await (await api.Owner().PatchAsJsonAsync(job, new { path = "other.py" })).AssertProblem(400, "validation");
        await (await api.Owner().PatchAsJsonAsync(job, new { retries = "many" })).AssertProblem(400, "validation");
        await (await api.Owner().PatchAsJsonAsync(job, new { schedule = new { cron = "every day" } })).AssertProblem(400, "validation");

        var cancelled = await (await api.Owner().DeleteAsync($"{job}/schedule")).Json();
        Assert.Equal(JsonValueKind.Null, cancelled.GetProperty("schedule").ValueKind);
        Assert.Equal(0, await api.Database.ScalarAsync<long>("SELECT count(*) FROM jobs, jsonb_object_keys(coalesce(meta -> 'reminders', '{}')) AS reminder WHERE key = $1 AND reminder = 'schedule'", changed.GetProperty("id").GetGuid().ToString("D")));
    }

    [Fact]
    public async Task FirstLaunchOfAPath_CreatesItsJob_LaterLaunchesRunItAgain_AndDeletingTheProjectDeletesIt()
    {
        var (project, repository) = await ProjectAsync("print('launched', flush=True)\n");
        using var repo = repository;

        var first = await (await api.Owner().PostAsJsonAsync($"{project}/runs", new { path = "job.py" })).Json();
        var second = await (await api.Owner().PostAsJsonAsync($"{project}/runs", new { path = "job.py" })).Json();
        Assert.Equal(1, first.GetProperty("number").GetInt32());
        Assert.Equal(2, second.GetProperty("number").GetInt32());
        Assert.Equal("api", second.GetProperty("trigger").GetString());
        var jobs = await (await api.Owner().GetAsync($"{project}/jobs")).Json();
        Assert.Equal("job", Assert.Single(jobs.EnumerateArray()).GetProperty("name").GetString());
        await WaitForRunAsync(second.GetProperty("id").GetGuid(), "Completed");
        await (await api.Owner().PostAsJsonAsync($"{project}/runs", new { path = "../../etc/passwd" })).AssertProblem(400, "validation");

        Assert.Equal(204, (int)(await api.Owner().DeleteAsync(project)).StatusCode);
        Assert.Equal(0, await api.Database.ScalarAsync<long>("SELECT count(*) FROM jobs WHERE key = $1", jobs[0].GetProperty("id").GetGuid().ToString("D")));
    }

    [Fact]
    public async Task JobsAndRuns_AreAuthorisedByRole_AndByWorkspace()
    {
        var (project, repository) = await ProjectAsync("print('x')\n");
        using var repo = repository;
        var job = await JobAsync(project, new { name = "guarded", path = "job.py" });
        var run = await TriggerAsync(job);
        var (_, viewerToken, _) = await api.MemberWithTokenAsync("Viewer");
        var viewer = api.Client(viewerToken);

        // A Viewer reads; running, changing and configuring need more.
        Assert.Equal(200, (int)(await viewer.GetAsync(job)).StatusCode);
        Assert.Equal(200, (int)(await viewer.GetAsync($"/api/workspaces/default/runs/{run}")).StatusCode);
        await (await viewer.PostAsync($"{job}/runs", null)).AssertProblem(403, "forbidden");
        await (await viewer.PostAsync($"/api/workspaces/default/runs/{run}/cancel", null)).AssertProblem(403, "forbidden");
        await (await viewer.PostAsJsonAsync($"{project}/jobs", new { name = "mine", path = "job.py" })).AssertProblem(403, "forbidden");
        var (_, memberToken, _) = await api.MemberWithTokenAsync("Member");
        await (await api.Client(memberToken).PostAsJsonAsync($"{project}/configurations", new { files = new { config_toml = "x" } })).AssertProblem(403, "forbidden");

        // Another workspace sees none of it, not even by id.
        var created = await (await api.Owner().PostAsJsonAsync("/api/workspaces", new { name = "Elsewhere", slug = "else-" + Guid.NewGuid().ToString("N")[..8] })).Json();
        var other = api.Client(created.GetProperty("ownerToken").GetProperty("token").GetString());
        var otherSlug = created.GetProperty("workspace").GetProperty("slug").GetString();
        await (await other.GetAsync($"/api/workspaces/{otherSlug}/runs/{run}")).AssertProblem(404, "not-found");
        await (await other.PostAsync($"/api/workspaces/{otherSlug}/runs/{run}/cancel", null)).AssertProblem(404, "not-found");
        await (await other.GetAsync($"/api/workspaces/{otherSlug}/runs/{run}/logs")).AssertProblem(404, "not-found");
        Assert.Empty((await (await other.GetAsync($"/api/workspaces/{otherSlug}/overview")).Json()).GetProperty("recentRuns").EnumerateArray());
    }

    [Theory]
    [InlineData("bad name", "job.py", "* * * * *", "UTC", null, null, "name")]
    [InlineData("ok", "../../etc/passwd", null, null, null, null, "path")]
    [InlineData("ok", "job.py", "61 * * * *", "UTC", null, null, "schedule.cron")]
    [InlineData("ok", "job.py", "0 2 * * *", "Mars/Olympus", null, null, "schedule.timeZone")]
    [InlineData("ok", "job.py", null, null, -5, null, "timeLimitSeconds")]
    [InlineData("ok", "job.py", null, null, null, "sometimes", "overlap")]
    [InlineData("ok", "job.py", null, null, 0, null, "timeLimitSeconds")]
    public async Task BadJob_Is400NamingTheField_AndNothingIsCreated(string name, string path, string? cron, string? zone, int? limit, string? overlap, string field)
    {
        var (project, repository) = await ProjectAsync("print('never')\n");
        using var repo = repository;
        var response = await api.Owner().PostAsJsonAsync($"{project}/jobs", new
        {
            name, path, schedule = cron is null ? null : new { cron, timeZone = zone }, timeLimitSeconds = limit, overlap,
        });

        var problem = await response.AssertProblem(400, "validation");
        Assert.True(problem.GetProperty("errors").TryGetProperty(field, out _), problem.GetRawText());
        Assert.Empty((await (await api.Owner().GetAsync($"{project}/jobs")).Json()).EnumerateArray());
    }
}

internal static class TestAppsForJobs
{
    public const string Idle = "import time\ntime.sleep(600)\n";
}
