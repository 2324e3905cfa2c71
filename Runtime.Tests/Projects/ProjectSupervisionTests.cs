using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Runtime.Execution.Processes;
using Runtime.Grains;
using Runtime.Grains.Projects;
using Runtime.Tests.Api;
using Runtime.Tests.Infrastructure;
using Xunit;

namespace Runtime.Tests.Projects;

/// <summary>Apps kept running: restarted when they crash or fail their health probes, and kept across a silo killed with SIGKILL.</summary>
public sealed class ProjectSupervisionTests(ApiFixture api) : IClassFixture<ApiFixture>
{
    private async Task<string> DeployAsync()
    {
        using var repository = GitTestRepository.Create(new Dictionary<string, string> { ["app.py"] = TestApps.Breakable });
        var response = await api.Owner().PostAsJsonAsync("/api/workspaces/default/projects", new
        {
            name = "Kept " + Guid.NewGuid().ToString("N")[..8], appType = "dash", pythonEnvironment = "default", repositoryUrl = repository.FileUrl, branch = "main", path = "app.py",
        });
        Assert.True(201 == (int)response.StatusCode, await response.Content.ReadAsStringAsync());
        var slug = (await response.Json()).GetProperty("slug").GetString()!;
        Assert.Equal(202, (int)(await api.Owner().PostAsync($"/api/workspaces/default/projects/{slug}/deploy", null)).StatusCode);
        await WaitForAsync(slug, p => p.GetProperty("status").GetString() == "Deployed", "Deployed", TimeSpan.FromSeconds(40));
        return slug;
    }

    private Task<JsonElement> WaitForAsync(string slug, Func<JsonElement, bool> done, string what, TimeSpan timeout) =>
        Eventually.Get(async () => await (await api.Owner().GetAsync($"/api/workspaces/default/projects/{slug}")).Json(), done, timeout, $"{slug}: {what}");

    private async Task<int> PidAsync(string slug) => int.Parse(await api.Owner().GetStringAsync($"/apps/default/{slug}/pid"));

    private static bool Noticed(JsonElement project, string text) =>
        project.GetProperty("notice").ValueKind == JsonValueKind.String && project.GetProperty("notice").GetString()!.Contains(text, StringComparison.Ordinal);

    [Fact]
    public async Task AppFailingItsHealthProbes_IsRestarted_AndStaysDeployed()
    {
        await using var silo = await api.Database.StartSiloAsync("silo-probes");
        var slug = await DeployAsync();
        var before = await PidAsync(slug);

        Assert.Equal("broken now", await api.Owner().GetStringAsync($"/apps/default/{slug}/break"));

        var restarted = await WaitForAsync(slug, p => Noticed(p, "health probes"), "restarted after failed probes", TimeSpan.FromSeconds(20));
        Assert.Equal("Deployed", restarted.GetProperty("status").GetString());
        var after = await Eventually.Get(() => PidAsync(slug), pid => pid != before, TimeSpan.FromSeconds(10), "a new process");
        Assert.False(Signals.GroupIsAlive(before));
        Assert.Equal("hello from breakable", await api.Owner().GetStringAsync($"/apps/default/{slug}/"));
        Assert.True(Signals.IsAlive(after));
    }

    [Fact]
    public async Task AppThatCrashesWhileServing_IsRestarted()
    {
        await using var silo = await api.Database.StartSiloAsync("silo-crash");
        var slug = await DeployAsync();
        var before = await PidAsync(slug);

        Signals.Send(before, Signals.SigKill);

        var restarted = await WaitForAsync(slug, p => Noticed(p, "exited"), "restarted after the crash", TimeSpan.FromSeconds(20));
        Assert.Equal("Deployed", restarted.GetProperty("status").GetString());
        Assert.NotEqual(before, await PidAsync(slug));
    }

    [Fact]
    public async Task AppStoppedByAnotherProcess_IsUnavailableThroughTheProxyWithinASecond()
    {
        await using var silo = await api.Database.StartSiloAsync("silo-route");
        var slug = await DeployAsync();
        for (var i = 0; i < 3; i++) // served, and its route remembered
            Assert.Equal("hello from breakable", await api.Owner().GetStringAsync($"/apps/default/{slug}/"));

        var id = (await (await api.Owner().GetAsync($"/api/workspaces/default/projects/{slug}")).Json()).GetProperty("id").GetGuid();
        await api.Services.GetRequiredService<Orleans.IGrainFactory>().GetGrain<IProjectGrain>(id).Stop();

        await Eventually.Get(async () => (int)(await api.Owner().GetAsync($"/apps/default/{slug}/")).StatusCode, status => status == 503,
            TimeSpan.FromSeconds(1), "the proxy to see the stop");
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task SiloKilledWhileAppIsDeployed_NextSiloAdoptsOrRestartsIt_WithinThirtySeconds(bool appDiesToo)
    {
        // Both silos run on "this machine": they share a data directory no other test uses.
        var data = Directory.CreateTempSubdirectory("runtime-adopt-");
        var environment = new Dictionary<string, string> { ["Runtime__DataDirectory"] = data.FullName };
        try
        {
            string slug;
            int before;
            string? firstAgent;
            await using (var doomed = api.Database.StartSiloProcess("silo-doomed", environment))
            {
                slug = await DeployAsync();
                before = await PidAsync(slug);
                firstAgent = await AgentAsync(slug);
                doomed.Kill();
                await doomed.WaitForExitAsync(TimeSpan.FromSeconds(10));
            }
            Assert.True(Signals.IsAlive(before), "SIGKILL to the silo does not reach the app's own session");
            if (appDiesToo)
                Signals.SendToGroup(before, Signals.SigKill);

            await using var next = api.Database.StartSiloProcess("silo-next", environment);
            await Eventually.Get(() => AgentAsync(slug), agent => agent != firstAgent, TimeSpan.FromSeconds(30), "the next silo to take the app over");
            var served = await Eventually.Get(async () => await api.Owner().GetAsync($"/apps/default/{slug}/pid"), r => r.IsSuccessStatusCode, TimeSpan.FromSeconds(30), "the app to serve again");
            var after = int.Parse(await served.Content.ReadAsStringAsync());
            var project = await (await api.Owner().GetAsync($"/api/workspaces/default/projects/{slug}")).Json();
            Assert.Equal("Deployed", project.GetProperty("status").GetString());
            if (appDiesToo)
            {
                Assert.NotEqual(before, after);
                await WaitForAsync(slug, p => Noticed(p, "silo running it died"), "the restart noticed", TimeSpan.FromSeconds(10));
            }
            else
            {
                Assert.Equal(before, after); // adopted, not restarted
            }

            // The new agent follows the app's output from the moment it took the app over …
            var marker = Guid.NewGuid().ToString("N");
            await api.Owner().GetStringAsync($"/apps/default/{slug}/?seen={marker}");
            await Eventually.Get(async () => await (await api.Owner().GetAsync($"/api/workspaces/default/projects/{slug}/logs?tail=50")).Json(),
                l => l.EnumerateArray().Any(x => x.GetProperty("line").GetString()!.Contains(marker, StringComparison.Ordinal)), TimeSpan.FromSeconds(10), "the request in the log");
            // … and stops it when asked.
            Assert.Equal(202, (int)(await api.Owner().PostAsync($"/api/workspaces/default/projects/{slug}/stop", null)).StatusCode);
            await WaitForAsync(slug, p => p.GetProperty("status").GetString() == "Stopped", "Stopped", TimeSpan.FromSeconds(20));
            await Eventually.Get(() => Task.FromResult(Signals.GroupIsAlive(after)), alive => !alive, TimeSpan.FromSeconds(15), "the app's processes to end");
        }
        finally
        {
            data.Delete(recursive: true);
        }
    }

    private Task<string?> AgentAsync(string slug) => api.Database.ScalarAsync<string>(
        "SELECT claimed_by FROM assignments WHERE workload_id = 'project/' || (SELECT key FROM projects WHERE slug = $1) AND kind = 'start' ORDER BY created_at DESC LIMIT 1", slug);
}
