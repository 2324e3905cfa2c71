using Microsoft.Extensions.Logging.Abstractions;
using Runtime.Execution.Docker;
using Runtime.Execution.Health;
using Runtime.Execution.Processes;
using Runtime.Execution.Supervision;
using Runtime.Execution.Workloads;
using Runtime.Tests.Infrastructure;
using Xunit;

namespace Runtime.Tests.Docker;

/// <summary>An app kept running by an <see cref="AppSupervisor"/> through the docker executor, as an agent will run it.</summary>
[Collection(DockerCollection.Name)]
public sealed class DockerSupervisionTests(DockerFixture docker)
{
    private static readonly AgentOptions Options = new() { ReadinessTimeout = TimeSpan.FromSeconds(30), ProbeInterval = TimeSpan.FromSeconds(1), RestartBackoff = TimeSpan.FromMilliseconds(100) };

    [DockerFact]
    public async Task AnAppInAContainer_IsReadyOnItsHealthPath_ItsHandleRecorded_AndStoppedWithItsContainer()
    {
        var port = FreePort.Next();
        var app = docker.Workspace(("app.py", """
            import os
            from flask import Flask
            app = Flask(__name__)
            @app.get("/health")
            def health():
                return "ok"
            app.run(host="0.0.0.0", port=int(os.environ["PORT"]))
            """));
        var spec = new ProcessSpec("app/" + Guid.NewGuid().ToString("N")[..8], ["python3", Path.Combine(app, "app.py")], app,
            new Dictionary<string, string> { ["PORT"] = port.ToString() }, Ports: [port]);
        using var probe = new HealthProbe();
        var spawned = new List<WorkloadHandle>();
        var supervisor = new AppSupervisor(docker.Executor, spec, new Uri($"http://127.0.0.1:{port}/health"), Options, probe, new LineSink(), NullLogger.Instance, "docker-app")
        {
            Spawned = spawned.Add,
        };

        var outcome = await supervisor.StartAsync().WaitAsync(TimeSpan.FromSeconds(60));

        Assert.Equal(StartOutcome.Ready, outcome);
        var handle = Assert.Single(spawned);
        Assert.Equal(supervisor.Workload!.Handle, handle);
        Assert.Equal("docker", handle.Executor);
        await supervisor.StopAsync("stopped by test");
        Assert.Equal("stopped by test", (await supervisor.Workload.Exited).StopReason);
        Assert.False(await docker.ContainerExistsAsync(handle.ContainerId!));
    }

    [DockerFact]
    public async Task AMissingImage_FailsTheStartWithTheReason_WithoutRestarting()
    {
        var image = "runtime-python:missing-" + Guid.NewGuid().ToString("N")[..8];
        var spec = docker.Python("print('never')\n") with { Image = image };
        using var probe = new HealthProbe();
        var spawned = new List<WorkloadHandle>();
        var supervisor = new AppSupervisor(docker.NewExecutor(autoBuild: false), spec, null, Options, probe, new LineSink(), NullLogger.Instance, "docker-app")
        {
            Spawned = spawned.Add,
        };

        var outcome = await supervisor.StartAsync().WaitAsync(TimeSpan.FromSeconds(30));

        Assert.Equal(StartOutcome.Failed, outcome);
        Assert.StartsWith($"the app could not be started: The image {image} is not on this machine", supervisor.FailureReason);
        Assert.Contains($"--tag {image}", supervisor.FailureReason);
        Assert.Empty(spawned);
    }
}
