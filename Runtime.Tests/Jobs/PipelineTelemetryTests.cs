using System.Net.Http.Json;
using System.Text.Json;
using Runtime.Tests.Api;
using Runtime.Tests.Infrastructure;
using Xunit;

namespace Runtime.Tests.Jobs;

/// <summary>A real Python script posts a pipeline-run report with its run token; the workspace's pipelines and datasets aggregate it.</summary>
public sealed class PipelineTelemetryTests(ApiFixture api) : IClassFixture<ApiFixture>
{
    private const string Reporter = """
        import json, os, sys, time, urllib.error, urllib.request
        def report(status, rows, rows_of_comments=None):
            body = json.dumps({
                "pipelineName": "github_events", "destinationType": "duckdb", "destinationName": "warehouse", "dataset": "github",
                "tables": [{"name": "issues", "rows": rows, "bytes": rows * 100}, {"name": "comments", "rows": 2 * rows if rows_of_comments is None else rows_of_comments}],
                "startedAt": "2026-11-23T10:00:00Z", "endedAt": "2026-11-23T10:00:03Z", "status": status,
            }).encode()
            request = urllib.request.Request(os.environ["RUNTIME_API_URL"] + "/api/runs/" + os.environ["RUNTIME_RUN_ID"] + "/pipeline-runs", data=body,
                headers={"Content-Type": "application/json", "Authorization": "Bearer " + os.environ["RUNTIME_RUN_TOKEN"]})
            try:
                with urllib.request.urlopen(request) as response:
                    print("reported", response.status, flush=True)
            except urllib.error.HTTPError as error:
                print("refused", error.code, json.loads(error.read())["errors"], flush=True)
        report("completed", 10)
        report("failed", 5)
        report("done", 1, -3)
        print("token is", os.environ["RUNTIME_RUN_TOKEN"], flush=True)
        """;

    [Fact]
    public async Task ScriptReportingItsPipelineRuns_IsAggregatedPerPipelineAndDataset()
    {
        await using var silo = await api.Database.StartSiloAsync("silo-telemetry", new Dictionary<string, string?> { ["Runtime:Api:Url"] = api.ListeningAddress.ToString() });
        using var repository = GitTestRepository.Create(new Dictionary<string, string> { ["app.py"] = TestAppsForJobs.Idle, ["job.py"] = Reporter });
        Assert.Empty((await (await api.Owner().GetAsync("/api/workspaces/default/pipelines")).Json()).EnumerateArray());
        var (project, _) = await api.PulledProjectAsync(repository.FileUrl, "Telemetry");
        Assert.Equal(201, (int)(await api.Owner().PostAsJsonAsync($"{project}/jobs", new { name = "github", path = "job.py" })).StatusCode);

        var run = (await (await api.Owner().PostAsync($"{project}/jobs/github/runs", null)).Json()).GetProperty("id").GetGuid();
        var ended = await Eventually.Get(async () => await (await api.Owner().GetAsync($"/api/workspaces/default/runs/{run}")).Json(),
            r => r.GetProperty("status").GetString() is "Completed" or "Failed", TimeSpan.FromSeconds(30), "the run");
        Assert.Equal("Completed", ended.GetProperty("status").GetString());

        var pipeline = Assert.Single((await (await api.Owner().GetAsync("/api/workspaces/default/pipelines")).Json()).EnumerateArray());
        Assert.Equal("github_events", pipeline.GetProperty("name").GetString());
        Assert.Equal(2, pipeline.GetProperty("runs").GetInt32());
        Assert.Equal(0.5, pipeline.GetProperty("successRate").GetDouble());
        Assert.Equal(45, pipeline.GetProperty("rowsLoaded").GetInt64());
        Assert.Equal([3.0, 3.0], pipeline.GetProperty("recentDurationsSeconds").EnumerateArray().Select(d => d.GetDouble()));
        var dataset = Assert.Single((await (await api.Owner().GetAsync("/api/workspaces/default/datasets")).Json()).EnumerateArray());
        Assert.Equal(["comments", "issues"], dataset.GetProperty("tables").EnumerateArray().Select(t => t.GetProperty("name").GetString()));
        Assert.Equal(15, dataset.GetProperty("tables")[1].GetProperty("rowsLoaded").GetInt64());

        // The token is masked in the log, and worthless once the run has ended.
        var lines = (await (await api.Owner().GetAsync($"/api/workspaces/default/runs/{run}/logs")).Json()).EnumerateArray().Select(l => l.GetProperty("line").GetString()).ToList();
        Assert.Contains("token is ***", lines);
        Assert.Equal(2, lines.Count(l => l == "reported 201"));
        // A bad report is a 400 naming each bad field, and nothing is stored.
        var refused = Assert.Single(lines, l => l!.StartsWith("refused", StringComparison.Ordinal))!;
        Assert.StartsWith("refused 400", refused);
        Assert.Contains("'status'", refused);
        Assert.Contains("'tables[1].rows'", refused);
    }

    [Fact]
    public async Task ReportWithoutAValidRunToken_Is401()
    {
        var client = api.Client(null);
        var report = new { pipelineName = "p", destinationType = "duckdb", destinationName = "d", dataset = "s", tables = Array.Empty<object>(), startedAt = DateTimeOffset.UtcNow, endedAt = DateTimeOffset.UtcNow, status = "completed" };
        await (await client.PostAsJsonAsync($"/api/runs/{Guid.NewGuid()}/pipeline-runs", report)).AssertProblem(401, "unauthorized");
        var withWrongToken = new HttpRequestMessage(HttpMethod.Post, $"/api/runs/{Guid.NewGuid()}/pipeline-runs") { Content = JsonContent.Create(report) };
        withWrongToken.Headers.Add("Authorization", "Bearer rr_not-a-real-token");
        await (await client.SendAsync(withWrongToken)).AssertProblem(401, "unauthorized");
        // An Owner's API token is not a run token either.
        await (await api.Owner().PostAsJsonAsync($"/api/runs/{Guid.NewGuid()}/pipeline-runs", report)).AssertProblem(401, "unauthorized");
    }
}
