using Microsoft.Extensions.Logging.Abstractions;
using Runtime.Execution.Docker;
using Runtime.Execution.Processes;
using Runtime.Execution.Workloads;
using Runtime.Tests.Infrastructure;
using Xunit;

namespace Runtime.Tests.Docker;

/// <summary>The engine's health as an operator sees it: never an exception for an absent engine, always the reason.</summary>
public sealed class DockerEngineTests
{
    [Fact]
    public async Task AMissingSocket_IsUnavailable_WithTheReason()
    {
        using var engine = new DockerEngine("unix:///nonexistent/docker.sock");

        var status = await engine.CheckAsync();

        Assert.False(status.Available);
        Assert.StartsWith("nothing listens on the Docker socket unix:///nonexistent/docker.sock", status.Reason);
        Assert.False(await engine.ImageExistsAsync("runtime-python:latest"));
    }

    [Fact]
    public async Task AClosedTcpPort_IsUnavailable_WithTheReason()
    {
        var port = FreePort.Next();
        using var engine = new DockerEngine($"tcp://127.0.0.1:{port}");

        var status = await engine.CheckAsync();

        Assert.False(status.Available);
        Assert.Contains($"127.0.0.1:{port}", status.Reason);
    }

    [Fact]
    public void ADockerHostOfAnotherScheme_IsRefused()
    {
        var failure = Assert.Throws<ArgumentException>(() => new DockerEngine("ssh://docker.example.org"));

        Assert.Equal("DOCKER_HOST 'ssh://docker.example.org' is not a unix:// or tcp:// address. (Parameter 'text')", failure.Message);
    }

    [Fact]
    public async Task StartingWithoutAnEngine_FailsWithTheReason_NotWithTheClientsException()
    {
        using var engine = new DockerEngine("unix:///nonexistent/docker.sock");
        var executor = new DockerExecutor(engine, new DockerImages(engine), new DockerExecutorSettings("no-engine"), NullLogger<DockerExecutor>.Instance);
        var work = Directory.CreateTempSubdirectory("runtime-no-engine-").FullName;

        var failure = await Assert.ThrowsAsync<WorkloadStartException>(() =>
            executor.StartAsync(new ProcessSpec("w", ["python3", "-V"], work, new Dictionary<string, string>()), new LineSink(), CancellationToken.None));

        Assert.StartsWith("Cannot start a container: nothing listens on the Docker socket unix:///nonexistent/docker.sock", failure.Message);
        Directory.Delete(work, recursive: true);
    }

    [DockerFact]
    public async Task TheEngineHere_IsAvailable_WithApi141OrLater_AndHasTheRuntimeImage()
    {
        using var engine = new DockerEngine();

        var status = await engine.CheckAsync();

        Assert.True(status.Available, status.Reason);
        Assert.True(Version.Parse(status.ApiVersion!) >= DockerEngine.ApiVersion);
        Assert.False(await engine.ImageExistsAsync("runtime-python:no-such-tag"));
    }
}
