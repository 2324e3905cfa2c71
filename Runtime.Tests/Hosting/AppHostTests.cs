using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Npgsql;
using Orleans;
using Orleans.Runtime;
using Runtime.Execution.Processes;
using Runtime.Grains.Projects;
using Runtime.Tests.Api;
using Runtime.Tests.Infrastructure;
using Runtime.Tests.Projects;
using Xunit;

namespace Runtime.Tests.Hosting;

/// <summary>
/// The AppHost end to end under Aspire.Hosting.Testing: one shared application of two silos, the Api and
/// the AppHost's own PostgreSQL; alone, beside no other AppHost.
/// </summary>
[Collection(FailoverTimingCollection.Name)]
public sealed class AppHostTests(AppHostFixture host, Xunit.Abstractions.ITestOutputHelper output) : IClassFixture<AppHostFixture>
{
    private const string Projects = "/api/workspaces/default/projects";

    [Fact]
    public async Task The_api_is_healthy_and_the_saved_owner_token_works()
    {
        Assert.Equal(HttpStatusCode.OK, (await host.Api.GetAsync("/health")).StatusCode);
        var me = await (await host.Owner().GetAsync("/api/me")).Json();
        Assert.Equal("Owner", me.GetProperty("role").GetString());
    }

    [Fact]
    public async Task The_silos_join_one_cluster()
    {
        var clusters = await ActiveSilosByClusterAsync();
        var cluster = Assert.Single(clusters);
        Assert.Equal(AppHostFixture.Silos, cluster.Value);
    }

    [Fact]
    public async Task A_project_deploys_and_serves_through_the_proxy()
    {
        using var repository = GitTestRepository.Create(new Dictionary<string, string> { ["app.py"] = TestApps.Flask("aspire") });
        var slug = await DeployedProjectAsync(repository, "Aspire");

        Assert.Equal("hello from aspire", await host.Owner().GetStringAsync($"/apps/default/{slug}/"));
    }

    [Fact]
    public async Task Killing_a_silo_leaves_the_api_answering_grain_calls_within_3_s()
    {
        var slug = await CreatedProjectAsync("Failover");
        var project = await (await host.Owner().GetAsync($"{Projects}/{slug}")).Json();
        await using var cluster = await TestClusterClient.StartAsync(await host.ConnectionStringAsync(), (await ActiveSilosByClusterAsync()).Single().Key);
        var grain = cluster.Client.GetGrain<IProjectGrain>(project.GetProperty("id").GetGuid());
        var address = await cluster.Client.GetGrain<IManagementGrain>(0).GetActivationAddress(grain)
            ?? throw new InvalidOperationException("The project's grain has no activation.");
        var victim = Enumerable.Range(1, AppHostFixture.Silos).Select(i => $"silo-{i}").Single(s => SiloPort(host.Pid(s)) == address.Endpoint.Port);

        Signals.Send(host.Pid(victim), Signals.SigKill);
        var killed = Stopwatch.StartNew();
        await Eventually.Get(async () =>
        {
            try
            {
                using var answer = new CancellationTokenSource(TimeSpan.FromSeconds(1));
                return (await host.Owner().GetAsync($"{Projects}/{slug}", answer.Token)).StatusCode;
            }
            catch (TaskCanceledException)
            {
                return HttpStatusCode.RequestTimeout;
            }
        }, status => status == HttpStatusCode.OK, TimeSpan.FromSeconds(60), "the project's grain to answer");
        output.WriteLine($"{victim} killed; the project answered after {killed.Elapsed.TotalSeconds:0.00} s");
        Assert.True(killed.Elapsed < TimeSpan.FromSeconds(3), $"answered {killed.Elapsed} after the kill");

        await host.App.ResourceCommands.ExecuteCommandAsync(victim, "resource-start");
        await host.App.ResourceNotifications.WaitForResourceHealthyAsync(victim);
    }

    [Fact]
    public async Task A_project_deployed_before_a_restart_is_deployed_and_serving_after_it_without_a_call()
    {
        using var repository = GitTestRepository.Create(new Dictionary<string, string> { ["app.py"] = TestApps.Flask("again") });
        var slug = await DeployedProjectAsync(repository, "Again");
        var token = host.Token;

        await host.RestartAsync();

        Assert.Equal(token, host.Token);
        var project = await Eventually.Get(async () => await (await host.Owner().GetAsync($"{Projects}/{slug}")).Json(),
            p => p.GetProperty("status").GetString() is "Deployed" or "Failed", TimeSpan.FromSeconds(90), "the project after the restart");
        Assert.True(project.GetProperty("status").GetString() == "Deployed", project.ToString());
        await Eventually.Get(async () =>
        {
            var response = await host.Owner().GetAsync($"/apps/default/{slug}/");
            return response.IsSuccessStatusCode ? await response.Content.ReadAsStringAsync() : response.StatusCode.ToString();
        }, body => body == "hello from again", TimeSpan.FromSeconds(60), "the app to serve again");
    }

    private async Task<string> CreatedProjectAsync(string name, GitTestRepository? repository = null)
    {
        var created = await host.Owner().PostAsJsonAsync(Projects, new
        {
            name = $"{name} {Guid.NewGuid():N}"[..20], appType = "dash", pythonEnvironment = "default",
            repositoryUrl = repository?.FileUrl ?? "https://example.com/nothing.git", branch = "main", path = "app.py",
        });
        Assert.True(created.StatusCode == HttpStatusCode.Created, await created.Content.ReadAsStringAsync());
        return (await created.Json()).GetProperty("slug").GetString()!;
    }

    private async Task<string> DeployedProjectAsync(GitTestRepository repository, string name)
    {
        var slug = await CreatedProjectAsync(name, repository);
        Assert.Equal(HttpStatusCode.Accepted, (await host.Owner().PostAsync($"{Projects}/{slug}/deploy", null)).StatusCode);
        var project = await Eventually.Get(async () => await (await host.Owner().GetAsync($"{Projects}/{slug}")).Json(),
            p => p.GetProperty("status").GetString() is "Deployed" or "Failed", TimeSpan.FromSeconds(90), "the deploy");
        Assert.True(project.GetProperty("status").GetString() == "Deployed", project.ToString());
        return slug;
    }

    private async Task<Dictionary<string, long>> ActiveSilosByClusterAsync()
    {
        await using var database = NpgsqlDataSource.Create(await host.ConnectionStringAsync());
        return await Eventually.Get(async () =>
        {
            var clusters = new Dictionary<string, long>();
            await using var command = database.CreateCommand("SELECT deployment_id, count(*) FROM orleans_membership WHERE status = 3 GROUP BY deployment_id");
            await using var reader = await command.ExecuteReaderAsync();
            while (await reader.ReadAsync())
                clusters[reader.GetString(0)] = reader.GetInt64(1);
            return clusters;
        }, c => c.Count == 1 && c.Values.Single() == AppHostFixture.Silos, TimeSpan.FromSeconds(60), "every silo active in one cluster");
    }

    // The silo-to-silo port a silo process was given, as Orleans records it in its membership row.
    private static int SiloPort(int pid) => int.Parse(File.ReadAllText($"/proc/{pid}/environ").Split('\0')
        .Single(v => v.StartsWith("Orleans__Endpoints__SiloPort=", StringComparison.Ordinal)).Split('=')[1], System.Globalization.CultureInfo.InvariantCulture);
}
