using System.Net.Http.Json;
using System.Text.Json;
using Docker.DotNet.Models;
using Runtime.Execution.Docker;
using Runtime.Tests.Api;
using Runtime.Tests.Infrastructure;
using Runtime.Tests.Jobs;
using Runtime.Tests.Projects;
using Xunit;

namespace Runtime.Tests.Docker;

/// <summary>
/// Every workload kind in a container, end to end through the Api and a silo's agent, on a real engine: a project
/// whose execution asks for <c>docker</c> is served through /apps; a job's batch run reports its exit code and log;
/// a cancelled run leaves no container; an interactive job is served. And the execution field's bad input.
/// </summary>
public sealed class DockerWorkloadTests(ApiFixture api) : IClassFixture<ApiFixture>, IAsyncLifetime
{
    private static readonly object InDocker = new { executor = "docker" };
    private readonly DockerEngine _engine = new();
    private TestSilo _silo = null!;

    public async Task InitializeAsync() => _silo = await api.Database.StartSiloAsync("silo-docker");

    public async Task DisposeAsync()
    {
        await _silo.DisposeAsync();
        _engine.Dispose();
        foreach (var repository in _repositories)
            repository.Dispose();
    }

    // The containers of a workload, running or not.
    private async Task<IList<ContainerListResponse>> ContainersAsync(string workloadId) =>
        await _engine.Client.Containers.ListContainersAsync(new ContainersListParameters
        {
            All = true,
            Filters = new Dictionary<string, IDictionary<string, bool>> { ["label"] = new Dictionary<string, bool> { [$"{ContainerLabels.Workload}={workloadId}"] = true } },
        });

    private readonly List<GitTestRepository> _repositories = [];

    // A project of these files, pulled; its repository lives as long as the test class (a deploy fetches again).
    private async Task<(string Project, string Slug, Guid Id)> ProjectAsync(Dictionary<string, string> files, object? execution = null)
    {
        var repository = GitTestRepository.Create(files);
        _repositories.Add(repository);
        var response = await api.Owner().PostAsJsonAsync("/api/workspaces/default/projects", new
        {
            name = "Boxed " + Guid.NewGuid().ToString("N")[..8], appType = "dash", pythonEnvironment = "default", repositoryUrl = repository.FileUrl,
            branch = "main", path = "app.py", execution,
        });
        Assert.True(201 == (int)response.StatusCode, await response.Content.ReadAsStringAsync());
        var created = await response.Json();
        var slug = created.GetProperty("slug").GetString()!;
        var project = $"/api/workspaces/default/projects/{slug}";
        Assert.Equal(202, (int)(await api.Owner().PostAsync($"{project}/pull", null)).StatusCode);
        await Eventually.Get(async () => await (await api.Owner().GetAsync(project)).Json(),
            p => p.GetProperty("revisions").GetArrayLength() > 0 && p.GetProperty("phase").ValueKind == JsonValueKind.Null, TimeSpan.FromSeconds(20), "the pull");
        return (project, slug, created.GetProperty("id").GetGuid());
    }

    private Task<JsonElement> WaitForRunAsync(Guid run, string status, int seconds = 60) =>
        Eventually.Get(async () => await (await api.Owner().GetAsync($"/api/workspaces/default/runs/{run}")).Json(),
            r => r.GetProperty("status").GetString() == status, TimeSpan.FromSeconds(seconds), $"run {run} to be {status}");

    private async Task<Guid> TriggerAsync(string job)
    {
        var response = await api.Owner().PostAsync($"{job}/runs", null);
        Assert.True(202 == (int)response.StatusCode, await response.Content.ReadAsStringAsync());
        return (await response.Json()).GetProperty("id").GetGuid();
    }

    [DockerFact]
    public async Task FlaskApp_InAContainer_IsServedThroughApps_AndStoppingRemovesItsContainer()
    {
        var (project, slug, id) = await ProjectAsync(new() { ["app.py"] = TestApps.Flask("boxed") }, InDocker);
        Assert.Equal("docker", (await (await api.Owner().GetAsync(project)).Json()).GetProperty("execution").GetProperty("executor").GetString());

        Assert.Equal(202, (int)(await api.Owner().PostAsync($"{project}/deploy", null)).StatusCode);
        await Eventually.Get(async () => await (await api.Owner().GetAsync(project)).Json(),
            p => p.GetProperty("status").GetString() is "Deployed" or "Failed", TimeSpan.FromSeconds(90), "the deploy");
        var deployed = await (await api.Owner().GetAsync(project)).Json();
        Assert.True(deployed.GetProperty("status").GetString() == "Deployed", deployed.ToString());
        Assert.Equal("hello from boxed", await api.Owner().GetStringAsync($"/apps/default/{slug}/"));
        var container = Assert.Single(await ContainersAsync($"project/{id:D}"));
        Assert.Equal("running", container.State);
        // Published on the host's loopback only.
        Assert.All(container.Ports, p => Assert.Equal("127.0.0.1", p.IP));

        Assert.Equal(202, (int)(await api.Owner().PostAsync($"{project}/stop", null)).StatusCode);
        await Eventually.Get(async () => await (await api.Owner().GetAsync(project)).Json(),
            p => p.GetProperty("status").GetString() == "Stopped", TimeSpan.FromSeconds(30), "Stopped");
        await Eventually.Get(() => ContainersAsync($"project/{id:D}"), c => c.Count == 0, TimeSpan.FromSeconds(15), "the container to be removed");
    }

    [DockerFact]
    public async Task BatchRun_InAContainer_ReportsItsExitCodeAndLog()
    {
        var (project, _, _) = await ProjectAsync(new() { ["app.py"] = TestAppsForJobs.Idle, ["job.py"] = "import sys\nprint('inside', flush=True)\nprint('to stderr', file=sys.stderr)\nsys.exit(3)\n" });
        var created = await api.Owner().PostAsJsonAsync($"{project}/jobs", new { name = "boxed", path = "job.py", execution = InDocker });
        Assert.True(201 == (int)created.StatusCode, await created.Content.ReadAsStringAsync());

        var run = await TriggerAsync($"{project}/jobs/boxed");
        var ended = await WaitForRunAsync(run, "Failed");
        Assert.Equal(3, ended.GetProperty("exitCode").GetInt32());
        var lines = (await (await api.Owner().GetAsync($"/api/workspaces/default/runs/{run}/logs?tail=100")).Json()).EnumerateArray().ToList();
        Assert.Contains(lines, l => l.GetProperty("stream").GetString() == "stdout" && l.GetProperty("line").GetString() == "inside");
        Assert.Contains(lines, l => l.GetProperty("stream").GetString() == "stderr" && l.GetProperty("line").GetString() == "to stderr");
        await Eventually.Get(() => ContainersAsync($"run/{run:D}"), c => c.Count == 0, TimeSpan.FromSeconds(15), "the run's container to be removed");
    }

    [DockerFact]
    public async Task CancelledRun_InAContainer_EndsCancelled_AndLeavesNoContainer()
    {
        var (project, _, _) = await ProjectAsync(new() { ["app.py"] = TestAppsForJobs.Idle, ["job.py"] = "import time\nprint('waiting', flush=True)\ntime.sleep(600)\n" });
        var created = await api.Owner().PostAsJsonAsync($"{project}/jobs", new { name = "long", path = "job.py", execution = InDocker });
        Assert.True(201 == (int)created.StatusCode, await created.Content.ReadAsStringAsync());
        var run = await TriggerAsync($"{project}/jobs/long");
        await WaitForRunAsync(run, "Running");
        await Eventually.Get(() => ContainersAsync($"run/{run:D}"), c => c.Count == 1, TimeSpan.FromSeconds(30), "the run's container");

        Assert.Equal(202, (int)(await api.Owner().PostAsync($"/api/workspaces/default/runs/{run}/cancel", null)).StatusCode);
        await WaitForRunAsync(run, "Cancelled");
        await Eventually.Get(() => ContainersAsync($"run/{run:D}"), c => c.Count == 0, TimeSpan.FromSeconds(15), "the run's container to be removed");
    }

    [DockerFact]
    public async Task InteractiveJob_InAContainer_IsServedAtItsUrl()
    {
        var (project, _, _) = await ProjectAsync(new() { ["app.py"] = TestAppsForJobs.Idle, ["serve.py"] = TestApps.Flask("explored") });
        var created = await api.Owner().PostAsJsonAsync($"{project}/jobs", new { name = "explore", path = "serve.py", interactive = true, execution = InDocker });
        Assert.True(201 == (int)created.StatusCode, await created.Content.ReadAsStringAsync());
        var url = (await created.Json()).GetProperty("url").GetString()!;

        var answer = await Eventually.Get(() => api.Owner().GetAsync(url), r => r.IsSuccessStatusCode, TimeSpan.FromSeconds(90), $"{url} to answer");
        Assert.Equal("hello from explored", await answer.Content.ReadAsStringAsync());
        var run = (await (await api.Owner().GetAsync($"{project}/jobs/explore/runs")).Json()).GetProperty("items")[0].GetProperty("id").GetGuid();
        Assert.Single(await ContainersAsync($"run/{run:D}"));
    }

    [Fact]
    public async Task Execution_AskingMoreMemoryThanTheOperatorAllows_IsA400NamingTheField()
    {
        var (project, _, _) = await ProjectAsync(new() { ["app.py"] = TestAppsForJobs.Idle, ["job.py"] = "print(1)\n" });
        var body = await (await api.Owner().PostAsJsonAsync($"{project}/jobs", new { name = "greedy", path = "job.py", execution = new { memoryMb = 8192 } }))
            .AssertProblem(400, "validation");
        Assert.Contains("execution.memoryMb", body.ToString());
        Assert.Contains("4096", body.ToString());
        var modest = await api.Owner().PostAsJsonAsync($"{project}/jobs", new { name = "modest", path = "job.py", execution = new { memoryMb = 256 } });
        Assert.True(201 == (int)modest.StatusCode, await modest.Content.ReadAsStringAsync());
        Assert.Equal(256, (await modest.Json()).GetProperty("execution").GetProperty("memoryMb").GetInt32());
    }

    [Fact]
    public async Task Execution_WithAnImageThatIsNotAValidReference_IsA400NamingIt()
    {
        var response = await api.Owner().PostAsJsonAsync("/api/workspaces/default/projects", new
        {
            name = "Bad image " + Guid.NewGuid().ToString("N")[..8], appType = "dash", pythonEnvironment = "default", repositoryUrl = "file:///nowhere.git",
            branch = "main", path = "app.py", execution = new { executor = "docker", image = "Not An/Image:!" },
        });
        var body = await response.AssertProblem(400, "validation");
        Assert.Contains("execution.image", body.ToString());
        Assert.Contains("Not An/Image:!", body.ToString());
    }

    [Fact]
    public async Task Execution_WithAnUnknownExecutor_OrANegativeLimit_IsA400NamingEach()
    {
        var (project, _, _) = await ProjectAsync(new() { ["app.py"] = TestAppsForJobs.Idle });
        var body = await (await api.Owner().PatchAsJsonAsync(project, new { execution = new { executor = "kubernetes", cpuPercent = -5 } })).AssertProblem(400, "validation");
        Assert.Contains("execution.executor", body.ToString());
        Assert.Contains("execution.cpuPercent", body.ToString());
        body = await (await api.Owner().PatchAsJsonAsync(project, new { execution = "docker" })).AssertProblem(400, "validation");
        Assert.Contains("must be an object", body.ToString());
    }
}
