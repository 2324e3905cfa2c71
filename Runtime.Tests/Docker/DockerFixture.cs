using Docker.DotNet.Models;
using Microsoft.Extensions.Logging.Abstractions;
using Runtime.Execution.Docker;
using Runtime.Execution.Processes;
using Xunit;

namespace Runtime.Tests.Docker;

[CollectionDefinition(Name)]
public sealed class DockerCollection : ICollectionFixture<DockerFixture>
{
    public const string Name = "docker";
}

/// <summary>
/// The engine, the test image <c>runtime-python:latest</c> (built once with the build script when it is
/// missing: a few minutes the first time on a machine, seconds once its root filesystem is cached), an
/// executor whose containers carry an agent id of this test run's own, and a folder for workspaces.
/// Every container of that agent id is removed at the end, whatever the tests left.
/// </summary>
public sealed class DockerFixture : IAsyncLifetime
{
    public const string Image = ExecutionImages.Default;

    public DockerEngine Engine { get; } = new();

    public DockerImages Images { get; private set; } = null!;

    public string AgentId { get; } = "test-" + Guid.NewGuid().ToString("N")[..12];

    public DockerExecutor Executor { get; private set; } = null!;

    public string Root { get; } = Directory.CreateTempSubdirectory("runtime-docker-tests-").FullName;

    public async Task InitializeAsync()
    {
        Images = new DockerImages(Engine);
        // Only where there is an engine: without one every test here is skipped (or, required, fails on its own).
        if ((await Engine.CheckAsync()).Available)
            await Images.EnsureAsync(Image, autoBuild: true, log: Console.WriteLine).WaitAsync(TimeSpan.FromMinutes(10));
        Executor = NewExecutor();
    }

    /// <summary>Another executor of the same agent, as a restarted agent would have, or of another agent (whose id should start with <see cref="AgentId"/>, for the clean-up).</summary>
    public DockerExecutor NewExecutor(string? agentId = null, bool autoBuild = false) =>
        new(Engine, Images, new DockerExecutorSettings(agentId ?? AgentId, Image, autoBuild), NullLogger<DockerExecutor>.Instance);

    /// <summary>A fresh folder to run in, with <paramref name="files"/> written into it.</summary>
    public string Workspace(params (string Name, string Text)[] files)
    {
        var directory = Path.Combine(Root, Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(directory);
        foreach (var (name, text) in files)
            File.WriteAllText(Path.Combine(directory, name), text);
        return directory;
    }

    /// <summary>A spec that runs <paramref name="script"/> with the image's python3, unbuffered.</summary>
    public ProcessSpec Python(string script, IReadOnlyDictionary<string, string>? environment = null)
    {
        var workspace = Workspace(("main.py", script));
        var variables = new Dictionary<string, string>(environment ?? new Dictionary<string, string>()) { ["PYTHONUNBUFFERED"] = "1" };
        return new ProcessSpec("test/" + Guid.NewGuid().ToString("N")[..8], ["python3", Path.Combine(workspace, "main.py")], workspace, variables);
    }

    /// <summary>Whether the container still exists (in any state).</summary>
    public async Task<bool> ContainerExistsAsync(string id)
    {
        try
        {
            await Engine.Client.Containers.InspectContainerAsync(id);
            return true;
        }
        catch (global::Docker.DotNet.DockerContainerNotFoundException)
        {
            return false;
        }
    }

    public async Task DisposeAsync()
    {
        if ((await Engine.CheckAsync()).Available)
        {
            // This run's agent ids all start with AgentId.
            var left = await Engine.Client.Containers.ListContainersAsync(new ContainersListParameters
            {
                All = true,
                Filters = new Dictionary<string, IDictionary<string, bool>> { ["label"] = new Dictionary<string, bool> { [ContainerLabels.Agent] = true } },
            });
            foreach (var container in left.Where(c => c.Labels[ContainerLabels.Agent].StartsWith(AgentId, StringComparison.Ordinal)))
                await Engine.Client.Containers.RemoveContainerAsync(container.ID, new ContainerRemoveParameters { Force = true, RemoveVolumes = true });
        }
        Engine.Dispose();
        Directory.Delete(Root, recursive: true);
    }
}
