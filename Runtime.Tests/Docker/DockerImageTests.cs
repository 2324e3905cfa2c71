using Runtime.Execution.Docker;
using Runtime.Execution.Workloads;
using Runtime.Tests.Infrastructure;
using Xunit;

namespace Runtime.Tests.Docker;

/// <summary>A missing image: built with the build script when auto-build is on, else a start that fails saying how to build it.</summary>
[Collection(DockerCollection.Name)]
public sealed class DockerImageTests(DockerFixture docker)
{
    [DockerFact]
    public async Task MissingImage_WithAutoBuildOn_IsBuiltAndThenUsed()
    {
        // A throwaway tag of its own; the root filesystem cached by the fixture's build makes this take seconds.
        var image = $"runtime-python:autobuild-{Guid.NewGuid():N}"[..40];
        var spec = docker.Python("import sys\nprint('python', '%d.%d' % sys.version_info[:2])\n") with { Image = image };
        var sink = new LineSink();
        try
        {
            Assert.False(await docker.Engine.ImageExistsAsync(image));

            await using var workload = await docker.NewExecutor(autoBuild: true).StartAsync(spec, sink, CancellationToken.None);
            var exit = await workload.Exited.WaitAsync(TimeSpan.FromMinutes(5));

            Assert.Equal(0, exit.ExitCode);
            Assert.True(await docker.Engine.ImageExistsAsync(image));
            Assert.Contains(sink.Lines, l => l is { Stream: "stdout", Text: "python 3.11" });
            // The build's own lines went to the workload's log, where its owner sees why the start took long.
            Assert.Contains(sink.Lines, l => l.Stream == "stderr" && l.Text.StartsWith($"[runtime] the image {image} is missing: building it with bash "));
        }
        finally
        {
            if (await docker.Engine.ImageExistsAsync(image))
                await docker.Engine.Client.Images.DeleteImageAsync(image, new global::Docker.DotNet.Models.ImageDeleteParameters());
        }
    }

    [DockerFact]
    public async Task MissingImage_WithAutoBuildOff_FailsTheStartWithTheReasonAndTheCommandThatBuildsIt()
    {
        var image = "runtime-python:missing-" + Guid.NewGuid().ToString("N")[..8];
        var spec = docker.Python("print('never')\n") with { Image = image };

        var failure = await Assert.ThrowsAsync<WorkloadStartException>(() => docker.NewExecutor(autoBuild: false).StartAsync(spec, new LineSink(), CancellationToken.None));

        Assert.Equal(
            $"The image {image} is not on this machine and building it automatically is off (EXECUTION_AUTO_BUILD_IMAGE=false). Build it (as root) with: bash {DockerImages.DefaultBuildScript} --tag {image}",
            failure.Message);
        Assert.True(File.Exists(DockerImages.DefaultBuildScript));
        Assert.False(await docker.Engine.ImageExistsAsync(image));
    }

    [DockerFact]
    public async Task MissingImageThatIsNotARuntimePythonImage_IsNotBuilt_AndTheStartSaysSo()
    {
        var spec = docker.Python("print('never')\n") with { Image = "example.org/someone/else:1.0" };

        var failure = await Assert.ThrowsAsync<WorkloadStartException>(() => docker.NewExecutor(autoBuild: true).StartAsync(spec, new LineSink(), CancellationToken.None));

        Assert.StartsWith("The image example.org/someone/else:1.0 is not on this machine and cannot be pulled here; Runtime builds only runtime-python images.", failure.Message);
    }

    [Fact]
    public void BuildCommand_PassesAPythonVersionTag_AndAlwaysTheTagAsked()
    {
        using var engine = new DockerEngine();
        var images = new DockerImages(engine, "/opt/build-runtime.sh");

        Assert.Equal(["bash", "/opt/build-runtime.sh", "3.11", "--tag", "runtime-python:3.11"], images.BuildCommand("runtime-python:3.11"));
        Assert.Equal(["bash", "/opt/build-runtime.sh", "--tag", "runtime-python:latest"], images.BuildCommand("runtime-python:latest"));
        Assert.Equal(["bash", "/opt/build-runtime.sh", "--tag", "runtime-python"], images.BuildCommand("runtime-python"));
    }
}
