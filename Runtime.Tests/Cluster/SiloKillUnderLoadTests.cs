using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Orleans;
using Orleans.Runtime;
using Runtime.Execution.Processes;
using Runtime.Grains.Jobs;
using Runtime.Grains.Projects;
using Runtime.Tests.Api;
using Runtime.Tests.Infrastructure;
using Runtime.Tests.Projects;
using Xunit;

namespace Runtime.Tests.Cluster;

/// <summary>
/// kill -9 of silo processes while they work: the one holding a project that is deploying, then the
/// one holding a job whose schedule fires every second. No intent is lost and none is done twice.
/// </summary>
[Collection(FailoverTimingCollection.Name)]
public sealed class SiloKillUnderLoadTests(ApiFixture api, Xunit.Abstractions.ITestOutputHelper output) : IClassFixture<ApiFixture>, IAsyncLifetime
{
    private const string Projects = "/api/workspaces/default/projects";

    // The silos run on one machine: they share a data directory (their agents' workloads) no other test uses.
    private readonly DirectoryInfo _data = Directory.CreateTempSubdirectory("runtime-kill-");
    private readonly List<(TestProcess Process, int Port)> _silos = [];
    private readonly HashSet<int> _killed = [];

    private IGrainFactory Grains => api.Services.GetRequiredService<IGrainFactory>();

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        foreach (var (process, _) in _silos)
            await process.DisposeAsync();
        await api.StartGrainHostAsync();
        _data.Delete(recursive: true);
    }

    [Fact]
    public async Task Killing_the_silo_of_a_deploying_project_and_then_of_a_schedule_firing_every_second_loses_no_deploy_and_no_second()
    {
        // Only process silos hold grains: the ones this test kills.
        StartSilo("silo-k1");
        StartSilo("silo-k2");
        await FormedAsync();
        await api.StopGrainHostAsync();
        await AnswersAsync(() => Grains.GetGrain<Runtime.Grains.Workspaces.IWorkspaceGrain>(api.Default.WorkspaceId).Get(), TimeSpan.FromSeconds(60));

        using var repository = GitTestRepository.Create(new Dictionary<string, string> { ["app.py"] = TestApps.Flask("survivor"), ["job.py"] = "print('tick', flush=True)\n" });
        var created = await api.Owner().PostAsJsonAsync(Projects, new
        {
            name = "Survivor " + Guid.NewGuid().ToString("N")[..8], appType = "dash", pythonEnvironment = "default", repositoryUrl = repository.FileUrl, branch = "main", path = "app.py",
        });
        Assert.True(201 == (int)created.StatusCode, await created.Content.ReadAsStringAsync());
        var body = await created.Json();
        var slug = body.GetProperty("slug").GetString()!;
        var project = Grains.GetGrain<IProjectGrain>(body.GetProperty("id").GetGuid());

        // 1. The deploy is under way when the silo holding the project dies.
        Assert.Equal(202, (int)(await api.Owner().PostAsync($"{Projects}/{slug}/deploy", null)).StatusCode);
        Assert.Equal("Deploying", (await ProjectAsync(slug)).GetProperty("status").GetString());
        var projectAnswered = await KillHostOfAsync(project, () => project.Get());

        JsonElement deployed;
        try
        {
            deployed = await Eventually.Get(() => ProjectAsync(slug), p => p.GetProperty("status").GetString() is "Deployed" or "Failed",
                TimeSpan.FromSeconds(90), "the deploy to finish");
        }
        catch (TimeoutException)
        {
            output.WriteLine(await QueueAsync());
            foreach (var (process, _) in _silos)
                output.WriteLine(string.Join('\n', process.Output.Split('\n').TakeLast(80)));
            throw;
        }
        Assert.True(deployed.GetProperty("status").GetString() == "Deployed", deployed.ToString());
        Assert.Equal("hello from survivor", await api.Owner().GetStringAsync($"/apps/default/{slug}/"));

        // 2. A schedule fires every second when the silo holding its job dies.
        var job = await api.Owner().PostAsJsonAsync($"{Projects}/{slug}/jobs", new { name = "every-second", path = "job.py", overlap = "allow", schedule = new { cron = "* * * * * *" } });
        Assert.True(201 == (int)job.StatusCode, await job.Content.ReadAsStringAsync());
        var jobId = (await job.Json()).GetProperty("id").GetGuid();
        var jobGrain = Grains.GetGrain<IJobGrain>(jobId);
        await Eventually.Get(() => RunCountAsync(jobId), n => n >= 3, TimeSpan.FromSeconds(30), "three scheduled runs");
        var jobAnswered = await KillHostOfAsync(jobGrain, () => jobGrain.Get());
        var killedAt = DateTimeOffset.UtcNow - jobAnswered;

        // The schedule goes on past the failover, then stops.
        await Eventually.Get(() => api.Database.ScalarAsync<DateTime>("SELECT coalesce(max(scheduled_for), '-infinity') FROM runs WHERE job_id = $1", jobId.ToString("D")),
            last => last > killedAt.UtcDateTime.AddSeconds(5) + jobAnswered, TimeSpan.FromSeconds(60), "runs after the failover");
        Assert.Equal(200, (int)(await api.Owner().PostAsync($"{Projects}/{slug}/jobs/every-second/pause", null)).StatusCode);

        // Every second from the first fire to the last has exactly one run.
        var due = await ScheduledAsync(jobId);
        Assert.Equal(due.Count, due.Distinct().Count());
        var missing = Enumerable.Range(0, (int)(due[^1] - due[0]).TotalSeconds + 1).Select(s => due[0].AddSeconds(s)).Except(due).ToList();
        Assert.True(missing.Count == 0, $"no run for {string.Join(", ", missing.Select(m => m.ToString("HH:mm:ss", CultureInfo.InvariantCulture)))}");
        Assert.True(due.Count >= 10, $"{due.Count} runs");

        output.WriteLine($"project answered {projectAnswered.TotalSeconds:0.00} s, job {jobAnswered.TotalSeconds:0.00} s after their kills; {due.Count} runs, one per second");
        // The test runs alone (FailoverTimingCollection): 8 runs answered in 1.3-2.2 s.
        Assert.True(projectAnswered < TimeSpan.FromSeconds(3), $"the project answered {projectAnswered} after the kill");
        Assert.True(jobAnswered < TimeSpan.FromSeconds(3), $"the job answered {jobAnswered} after the kill");
    }

    private void StartSilo(string name)
    {
        var port = FreePort.Next();
        _silos.Add((api.Database.StartSiloProcess(name, new Dictionary<string, string>
        {
            ["Runtime__DataDirectory"] = _data.FullName,
            ["Orleans__Endpoints__SiloPort"] = port.ToString(CultureInfo.InvariantCulture),
            // Only these silos hold grains, each in a process of its own: production's failure detection.
            ["Orleans__Membership__ProbeTimeout"] = Runtime.Grains.Cluster.ClusterConfiguration.SiloDefaults["Orleans:Membership:ProbeTimeout"]!,
            ["Orleans__Membership__MaxProbeTimeout"] = Runtime.Grains.Cluster.ClusterConfiguration.SiloDefaults["Orleans:Membership:MaxProbeTimeout"]!,
            ["Orleans__Membership__NumMissedProbesLimit"] = Runtime.Grains.Cluster.ClusterConfiguration.SiloDefaults["Orleans:Membership:NumMissedProbesLimit"]!,
        }), port));
    }

    // Kills the silo the grain lives on, once the cluster has formed; starts another in its place; and
    // answers how long after the kill the grain answered again.
    private async Task<TimeSpan> KillHostOfAsync(IAddressable grain, Func<Task> call)
    {
        await FormedAsync();
        // Called first, so that it has an activation to find (between a schedule's fires it may have none at that instant).
        await call();
        var host = (await Eventually.Get<Orleans.Runtime.SiloAddress?>(() => Grains.GetGrain<IManagementGrain>(0).GetActivationAddress(grain).AsTask(), a => a is not null,
            TimeSpan.FromSeconds(10), "the grain's activation"))!;
        var victim = _silos.Single(s => s.Port == host.Endpoint.Port);
        victim.Process.Kill();
        _killed.Add(victim.Port);
        var killed = Stopwatch.StartNew();
        StartSilo($"silo-k{_silos.Count + 1}");
        await AnswersAsync(call, TimeSpan.FromSeconds(60));
        return killed.Elapsed;
    }

    private static Task AnswersAsync(Func<Task> call, TimeSpan timeout) => Eventually.Get(async () =>
    {
        try
        {
            await call().WaitAsync(TimeSpan.FromSeconds(1));
            return true;
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            return false;
        }
    }, answered => answered, timeout, "a call answered");

    // Every silo started and not killed is Active in Orleans' membership. A silo still Joining neither
    // probes nor votes: were the only Active one killed then, the joiners would wait out the 15 s
    // IAmAlive staleness before declaring it dead.
    private Task FormedAsync()
    {
        var live = _silos.Select(s => s.Port).Where(p => !_killed.Contains(p)).ToArray();
        return Eventually.Get(
            () => api.Database.ScalarAsync<long>("SELECT count(*) FROM orleans_membership WHERE status = 3 AND port = ANY($1)", live),
            active => active == live.Length, TimeSpan.FromSeconds(60), $"{live.Length} active silos");
    }

    // The assignments and silos, for a failure's message.
    private async Task<string> QueueAsync()
    {
        var lines = new List<string>();
        await using var command = api.Database.DataSource.CreateCommand("""
            SELECT 'assignment ' || id || ' ' || kind || ' ' || status || ' by ' || coalesce(claimed_by, '-') || ' attempts ' || attempts || ' available ' || available_at FROM assignments
            UNION ALL SELECT 'silo ' || name || ' ' || id || ' ' || status || ' heartbeat ' || heartbeat_at FROM silos
            """);
        await using var reader = await command.ExecuteReaderAsync();
        while (await reader.ReadAsync())
            lines.Add(reader.GetString(0));
        return string.Join('\n', lines);
    }

    private async Task<JsonElement> ProjectAsync(string slug) => await (await api.Owner().GetAsync($"{Projects}/{slug}")).Json();

    private Task<long> RunCountAsync(Guid jobId) => api.Database.ScalarAsync<long>("SELECT count(*) FROM runs WHERE job_id = $1", jobId.ToString("D"));

    private async Task<List<DateTime>> ScheduledAsync(Guid jobId)
    {
        var due = new List<DateTime>();
        await using var command = api.Database.DataSource.CreateCommand("SELECT scheduled_for, trigger FROM runs WHERE job_id = $1 ORDER BY scheduled_for");
        command.Parameters.Add(new Npgsql.NpgsqlParameter { Value = jobId.ToString("D") });
        await using var reader = await command.ExecuteReaderAsync();
        while (await reader.ReadAsync())
        {
            Assert.Equal("schedule", reader.GetString(1));
            due.Add(reader.GetDateTime(0));
        }
        return due;
    }
}
