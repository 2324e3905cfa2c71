using Runtime.Execution.Docker;
using Runtime.Execution.Processes;
using Runtime.Execution.Workloads;
using Xunit;

namespace Runtime.Tests.Docker;

/// <summary>Every check of a spec's container parts: refused with an <see cref="ArgumentException"/> naming the part and saying what is allowed.</summary>
public sealed class ContainerSpecValidationTests
{
    private static readonly string Work = Directory.CreateTempSubdirectory("runtime-validation-").FullName;

    private static ProcessSpec Spec() => new("w", ["python3", "main.py"], Work, new Dictionary<string, string>());

    public static TheoryData<string, Func<ProcessSpec, ProcessSpec>, string, string> BadSpecs => new()
    {
        { "cpu 0", s => s with { CpuPercent = 0 }, "CpuPercent", "The CPU limit must be between 1 and" },
        { "cpu under 1%", s => s with { CpuPercent = 0.5 }, "CpuPercent", "not 0.5" },
        { "cpu NaN", s => s with { CpuPercent = double.NaN }, "CpuPercent", "not NaN" },
        { "cpu past the machine", s => s with { CpuPercent = 100 * Environment.ProcessorCount + 1 }, "CpuPercent", $"(this machine has {Environment.ProcessorCount} cores)" },
        { "tmpfs 0", s => s with { TmpfsSize = 0 }, "TmpfsSize", "The size of /tmp (tmpfs) must be positive." },
        { "network unknown", s => s with { NetworkMode = "overlay" }, "NetworkMode", "The network mode 'overlay' is not one of none, bridge, host." },
        { "port 0", s => s with { Ports = [0] }, "Ports", "The port 0 is not between 1 and 65535." },
        { "port too high", s => s with { Ports = [70000] }, "Ports", "The port 70000 is not between 1 and 65535." },
        { "port twice", s => s with { Ports = [8080, 8080] }, "Ports", "A port is listed twice: 8080, 8080." },
        { "ports without a network", s => s with { Ports = [8080], NetworkMode = "none" }, "Ports", "Ports can be published only on the bridge network, not with network mode 'none'." },
        { "ports on the host network", s => s with { Ports = [8080], NetworkMode = "host" }, "Ports", "not with network mode 'host'." },
        { "mount relative", s => s with { Mounts = [new BindMount("venv")] }, "Mounts", "The mount 'venv' must be an absolute path." },
        { "mount empty", s => s with { Mounts = [new BindMount("")] }, "Mounts", "The mount '' must be an absolute path." },
        { "mount with ..", s => s with { Mounts = [new BindMount("/srv/../etc")] }, "Mounts", "must be a normalized path" },
        { "mount with //", s => s with { Mounts = [new BindMount("/srv//data")] }, "Mounts", "must be a normalized path" },
        { "mount of the root", s => s with { Mounts = [new BindMount("/")] }, "Mounts", "would hide the container's own root" },
        { "mount of /tmp", s => s with { Mounts = [new BindMount("/tmp")] }, "Mounts", "would hide the container's own /tmp" },
        { "mount of the working directory", s => s with { Mounts = [new BindMount(Work)] }, "Mounts", "is mounted twice" },
        { "mount twice", s => s with { Mounts = [new BindMount("/srv/a"), new BindMount("/srv/a", ReadOnly: false)] }, "Mounts", "The folder '/srv/a' is mounted twice" },
        { "label reserved", s => s with { Labels = new Dictionary<string, string> { ["runtime.agent"] = "x" } }, "Labels", "The label 'runtime.agent' is set by the executor itself." },
        { "label key bad", s => s with { Labels = new Dictionary<string, string> { ["bad key!"] = "x" } }, "Labels", "The label 'bad key!' is not a valid key" },
        { "label value with NUL", s => s with { Labels = new Dictionary<string, string> { ["team"] = "a\0b" } }, "Labels", "The value of label 'team'" },
        { "image upper case", s => s with { Image = "Runtime-Python:latest" }, "Image", "'Runtime-Python:latest' is not a valid Docker image reference" },
        { "image with a space", s => s with { Image = "runtime python" }, "Image", "'runtime python' is not a valid Docker image reference" },
        { "image empty", s => s with { Image = "" }, "Image", "The image name is empty." },
        { "environment name with =", s => s with { Environment = new Dictionary<string, string> { ["A=B"] = "x" } }, "Environment", "The environment variable name 'A=B' is not valid" },
        { "environment name empty", s => s with { Environment = new Dictionary<string, string> { [""] = "x" } }, "Environment", "The environment variable name '' is not valid" },
    };

    [Theory]
    [MemberData(nameof(BadSpecs))]
    public void BadContainerPart_IsRefusedNamingIt(string what, Func<ProcessSpec, ProcessSpec> bad, string part, string message)
    {
        var failure = Assert.Throws<ArgumentException>(() => bad(Spec()).Validate());

        Assert.True(failure.ParamName == part, $"{what}: named {failure.ParamName}, not {part}");
        Assert.Contains(message, failure.Message);
    }

    [Fact]
    public void AGoodSpec_WithEveryContainerPart_IsAccepted()
    {
        var spec = Spec() with
        {
            CpuPercent = 50, TmpfsSize = 1024 * 1024, NetworkMode = "bridge", Ports = [8080, 8081], Mounts = [new BindMount("/srv/venv"), new BindMount("/srv/data", ReadOnly: false)],
            Labels = new Dictionary<string, string> { ["runtime.project"] = "sales" }, Image = "localhost:5000/team/runtime-python:3.11",
        };

        spec.Validate();
        Assert.Equal("bridge", spec.EffectiveNetworkMode);
        Assert.Equal("none", Spec().EffectiveNetworkMode);
        Assert.Equal("bridge", (Spec() with { Ports = [8080] }).EffectiveNetworkMode);
    }

    [Fact]
    public void TheProcessExecutor_ValidatesTheContainerPartsToo()
    {
        var failure = Assert.Throws<ArgumentException>(() => ProcessWorkload.Start(Spec() with { NetworkMode = "overlay" }, new LineSink()));

        Assert.Equal("NetworkMode", failure.ParamName);
    }

    [Theory]
    [InlineData("/", "WorkingDirectory", "The working directory of a container cannot be '/'")]
    [InlineData("/tmp", "WorkingDirectory", "The working directory of a container cannot be '/tmp'")]
    [InlineData("/nonexistent/runtime-workspace", "WorkingDirectory", "The working directory '/nonexistent/runtime-workspace' does not exist.")]
    public async Task TheDockerExecutor_RefusesFoldersItCannotMountAtTheirOwnPath(string directory, string part, string message)
    {
        using var engine = new DockerEngine("unix:///nonexistent/docker.sock");
        var executor = new DockerExecutor(engine, new DockerImages(engine), new DockerExecutorSettings("validation"), Microsoft.Extensions.Logging.Abstractions.NullLogger<DockerExecutor>.Instance);

        var failure = await Assert.ThrowsAsync<ArgumentException>(() => executor.StartAsync(Spec() with { WorkingDirectory = directory }, new LineSink(), CancellationToken.None));

        Assert.Equal(part, failure.ParamName);
        Assert.StartsWith(message, failure.Message);
    }

    [Fact]
    public async Task TheDockerExecutor_RefusesTmpAsTheOutputDirectory()
    {
        using var engine = new DockerEngine("unix:///nonexistent/docker.sock");
        var executor = new DockerExecutor(engine, new DockerImages(engine), new DockerExecutorSettings("validation"), Microsoft.Extensions.Logging.Abstractions.NullLogger<DockerExecutor>.Instance);

        var failure = await Assert.ThrowsAsync<ArgumentException>(() => executor.StartAsync(Spec() with { OutputDirectory = "/tmp/" }, new LineSink(), CancellationToken.None));

        Assert.Equal("OutputDirectory", failure.ParamName);
    }

    [Fact]
    public async Task AHandleOfTheOtherExecutor_IsRefused()
    {
        using var engine = new DockerEngine("unix:///nonexistent/docker.sock");
        var docker = new DockerExecutor(engine, new DockerImages(engine), new DockerExecutorSettings("validation"), Microsoft.Extensions.Logging.Abstractions.NullLogger<DockerExecutor>.Instance);

        var toDocker = await Assert.ThrowsAsync<ArgumentException>(() => docker.AdoptAsync(Spec(), WorkloadHandle.ForProcess(1, 1), new LineSink(), CancellationToken.None));
        var toProcess = await Assert.ThrowsAsync<ArgumentException>(() => new ProcessExecutor().AdoptAsync(Spec(), WorkloadHandle.ForContainer("abc"), new LineSink(), CancellationToken.None));

        Assert.Equal("The handle is of the process executor, not of the docker executor. (Parameter 'handle')", toDocker.Message);
        Assert.Equal("The handle is of the docker executor, not of the process executor. (Parameter 'handle')", toProcess.Message);
    }

    [Fact]
    public void AHandle_GoesThroughJsonWithStableNames()
    {
        var container = WorkloadHandle.ForContainer("0123456789abcdef0123");
        var process = WorkloadHandle.ForProcess(4321, 987654);

        var json = System.Text.Json.JsonSerializer.Serialize(container);

        Assert.Equal("""{"executor":"docker","pid":0,"startTime":0,"containerId":"0123456789abcdef0123"}""", json);
        Assert.Equal(container, System.Text.Json.JsonSerializer.Deserialize<WorkloadHandle>(json));
        Assert.Equal(process, System.Text.Json.JsonSerializer.Deserialize<WorkloadHandle>(System.Text.Json.JsonSerializer.Serialize(process)));
        Assert.Equal("container 0123456789ab", container.ToString());
        Assert.Equal("pid 4321", process.ToString());
    }
}
