using System.Net.Http.Json;
using System.Text.Json;
using Docker.DotNet.Models;
using Runtime.Execution.Docker;
using Runtime.Tests.Api;
using Runtime.Tests.Infrastructure;
using Runtime.Tests.Projects;
using Xunit;

namespace Runtime.Tests.Docker;

/// <summary>
/// A container app outlives a <c>kill -9</c> of the silo whose agent started it: the next silo on the machine takes
/// the same container over by its id, and removes a container of the installation that no record names.
/// </summary>
public sealed class DockerAdoptionTests(ApiFixture api) : IClassFixture<ApiFixture>, IDisposable
{
    private readonly DockerEngine _engine = new();
    private readonly DirectoryInfo _data = Directory.CreateTempSubdirectory("runtime-docker-adopt-");

    public void Dispose()
    {
        _engine.Dispose();
        _data.Delete(recursive: true);
    }

    private async Task<IList<ContainerListResponse>> ContainersAsync(string label) =>
        await _engine.Client.Containers.ListContainersAsync(new ContainersListParameters
        {
            All = true,
            Filters = new Dictionary<string, IDictionary<string, bool>> { ["label"] = new Dictionary<string, bool> { [label] = true } },
        });

    private Task<string?> AgentAsync(string slug) => api.Database.ScalarAsync<string>(
        "SELECT claimed_by FROM assignments WHERE workload_id = 'project/' || (SELECT key FROM projects WHERE slug = $1) AND kind = 'start' ORDER BY created_at DESC LIMIT 1", slug);

    [DockerFact]
    public async Task ContainerApp_SurvivesAKill9OfItsSilo_TheNextSiloAdoptsTheSameContainer_AndRemovesAnOrphan()
    {
        var environment = new Dictionary<string, string> { ["Runtime__DataDirectory"] = _data.FullName };
        using var repository = GitTestRepository.Create(new Dictionary<string, string> { ["app.py"] = TestApps.Breakable });
        string slug, containerId, servedBefore;
        Guid project;
        string? firstAgent;
        await using (var doomed = api.Database.StartSiloProcess("silo-docker-doomed", environment))
        {
            var created = await api.Owner().PostAsJsonAsync("/api/workspaces/default/projects", new
            {
                name = "Kept boxed " + Guid.NewGuid().ToString("N")[..8], appType = "dash", pythonEnvironment = "default", repositoryUrl = repository.FileUrl,
                branch = "main", path = "app.py", execution = new { executor = "docker" },
            });
            Assert.True(201 == (int)created.StatusCode, await created.Content.ReadAsStringAsync());
            var body = await created.Json();
            (slug, project) = (body.GetProperty("slug").GetString()!, body.GetProperty("id").GetGuid());
            Assert.Equal(202, (int)(await api.Owner().PostAsync($"/api/workspaces/default/projects/{slug}/deploy", null)).StatusCode);
            await Eventually.Get(async () => await (await api.Owner().GetAsync($"/api/workspaces/default/projects/{slug}")).Json(),
                p => p.GetProperty("status").GetString() == "Deployed", TimeSpan.FromSeconds(90), "Deployed");
            containerId = Assert.Single(await ContainersAsync($"{ContainerLabels.Workload}=project/{project:D}")).ID;
            servedBefore = await api.Owner().GetStringAsync($"/apps/default/{slug}/pid");
            firstAgent = await AgentAsync(slug);
            doomed.Kill();
            await doomed.WaitForExitAsync(TimeSpan.FromSeconds(10));
        }

        // A container of this installation that no record names, as an agent that died between starting it and recording it leaves.
        var installation = await api.Database.ScalarAsync<Guid>("SELECT id FROM installation");
        var orphanWorkload = $"project/{Guid.NewGuid():D}";
        var orphan = await _engine.Client.Containers.CreateContainerAsync(new CreateContainerParameters
        {
            Image = ExecutionImages.Default,
            Cmd = ["python3", "-c", "import time; time.sleep(600)"],
            Labels = new Dictionary<string, string> { [ContainerLabels.Workload] = orphanWorkload, [ContainerLabels.Agent] = $"installation/{installation:D}" },
            HostConfig = new HostConfig { Init = true, NetworkMode = "none" },
        });
        await _engine.Client.Containers.StartContainerAsync(orphan.ID, new ContainerStartParameters());

        await using var next = api.Database.StartSiloProcess("silo-docker-next", environment);
        await Eventually.Get(() => AgentAsync(slug), agent => agent != firstAgent, TimeSpan.FromSeconds(30), "the next silo to take the app over");
        // The same container, still serving, its process never restarted.
        var taken = Assert.Single(await ContainersAsync($"{ContainerLabels.Workload}=project/{project:D}"));
        Assert.Equal(containerId, taken.ID);
        Assert.Equal("running", taken.State);
        Assert.Equal(servedBefore, await api.Owner().GetStringAsync($"/apps/default/{slug}/pid"));
        var status = (await (await api.Owner().GetAsync($"/api/workspaces/default/projects/{slug}")).Json()).GetProperty("status").GetString();
        Assert.Equal("Deployed", status);
        await Eventually.Get(() => ContainersAsync($"{ContainerLabels.Workload}={orphanWorkload}"), c => c.Count == 0, TimeSpan.FromSeconds(30), "the orphan to be removed");

        // The silo that took it over stops it when asked.
        Assert.Equal(202, (int)(await api.Owner().PostAsync($"/api/workspaces/default/projects/{slug}/stop", null)).StatusCode);
        await Eventually.Get(() => ContainersAsync($"{ContainerLabels.Workload}=project/{project:D}"), c => c.Count == 0, TimeSpan.FromSeconds(30), "the container to be removed");
    }
}
