using Microsoft.Extensions.Configuration;
using Runtime.Execution.Workloads;
using Xunit;

namespace Runtime.Tests.Docker;

public sealed class ExecutionOptionsTests
{
    private static IConfiguration Configuration(params (string Key, string Value)[] values) =>
        new ConfigurationBuilder().AddInMemoryCollection(values.Select(v => KeyValuePair.Create(v.Key, (string?)v.Value))).Build();

    [Fact]
    public void Nothing_Configured_GivesTheDocumentedDefaults()
    {
        var options = ExecutionOptions.Read(Configuration());

        Assert.Null(options.DockerEnabled);
        Assert.Equal("runtime-python:latest", options.DockerImage);
        Assert.Equal("none", options.Network);
        Assert.False(options.AutoBuildImage);
        Assert.Null(options.Timeout);
        Assert.Null(options.MaxMemoryMb);
        Assert.Null(options.MaxCpuPercent);
        Assert.Equal(64, options.TmpfsMb);
        Assert.Null(options.WorkspaceDirectory);
        Assert.True(options.UsesDocker(engineAnswers: true));
        Assert.False(options.UsesDocker(engineAnswers: false));
        Assert.Equal("bridge", options.NetworkFor(publishesPort: true));
        Assert.Equal("none", options.NetworkFor(publishesPort: false));
    }

    [Fact]
    public void TheSeedsEnvironmentVariableNames_AreRead()
    {
        var options = ExecutionOptions.Read(Configuration(
            ("DOCKER_ENABLED", "false"), ("DOCKER_IMAGE", "runtime-python:3.11"), ("EXECUTION_NETWORK", "bridge"), ("EXECUTION_AUTO_BUILD_IMAGE", "true"),
            ("EXECUTION_TIMEOUT_MS", "90000"), ("EXECUTION_MAX_MEMORY_MB", "512"), ("EXECUTION_MAX_CPU_PERCENT", "150"), ("EXECUTION_TMPFS_MB", "32"),
            ("EXECUTION_WORKSPACE_DIR", "/srv/runtime/workspaces")));

        Assert.False(options.DockerEnabled);
        Assert.False(options.UsesDocker(engineAnswers: true));
        Assert.Equal("runtime-python:3.11", options.DockerImage);
        Assert.Equal("bridge", options.Network);
        Assert.True(options.AutoBuildImage);
        Assert.Equal(TimeSpan.FromSeconds(90), options.Timeout);
        Assert.Equal(512, options.MaxMemoryMb);
        Assert.Equal(150, options.MaxCpuPercent);
        Assert.Equal(32, options.TmpfsMb);
        Assert.Equal("/srv/runtime/workspaces", options.WorkspaceDirectory);
    }

    [Fact]
    public void TheRuntimeExecutionSection_WinsOverTheSeedsName()
    {
        var options = ExecutionOptions.Read(Configuration(("Runtime:Execution:MaxMemoryMb", "256"), ("EXECUTION_MAX_MEMORY_MB", "512"), ("Runtime:Execution:DockerEnabled", "true")));

        Assert.Equal(256, options.MaxMemoryMb);
        Assert.True(options.UsesDocker(engineAnswers: false));
    }

    [Theory]
    [InlineData("auto", null)]
    [InlineData("", null)]
    [InlineData("TRUE", true)]
    [InlineData("1", true)]
    [InlineData("off", false)]
    public void DockerEnabled_IsAutoUnlessForced(string value, bool? expected)
    {
        Assert.Equal(expected, ExecutionOptions.Read(Configuration(("DOCKER_ENABLED", value))).DockerEnabled);
    }

    [Fact]
    public void EveryBadSetting_IsReportedAtOnce_NamingItsVariable()
    {
        var failure = Assert.Throws<ExecutionSettingsException>(() => ExecutionOptions.Read(Configuration(
            ("DOCKER_ENABLED", "maybe"), ("DOCKER_IMAGE", "Bad Image"), ("EXECUTION_NETWORK", "overlay"), ("EXECUTION_AUTO_BUILD_IMAGE", "sometimes"),
            ("EXECUTION_TIMEOUT_MS", "-5"), ("EXECUTION_MAX_MEMORY_MB", "abc"), ("EXECUTION_MAX_CPU_PERCENT", "0"), ("EXECUTION_TMPFS_MB", "1.5"),
            ("EXECUTION_WORKSPACE_DIR", "relative/dir"))));

        Assert.Equal(
        [
            "DOCKER_ENABLED is 'maybe': expected true or false.",
            "DOCKER_IMAGE: 'Bad Image' is not a valid Docker image reference ([registry/]name[:tag][@digest], the name in lower case).",
            "EXECUTION_NETWORK is 'overlay': expected one of none, bridge, host.",
            "EXECUTION_AUTO_BUILD_IMAGE is 'sometimes': expected true or false.",
            "EXECUTION_TIMEOUT_MS is '-5': expected a whole number of milliseconds, at least 1.",
            "EXECUTION_MAX_MEMORY_MB is 'abc': expected a whole number of MiB, at least 1.",
            $"EXECUTION_MAX_CPU_PERCENT is '0': expected a percent of one core from 1 to {100 * Environment.ProcessorCount} (this machine has {Environment.ProcessorCount} cores).",
            "EXECUTION_TMPFS_MB is '1.5': expected a whole number of MiB, at least 1.",
            "EXECUTION_WORKSPACE_DIR is 'relative/dir': expected an absolute path.",
        ], failure.Errors);
        Assert.StartsWith("Bad execution settings:\n- DOCKER_ENABLED is 'maybe'", failure.Message);
    }

    [Fact]
    public void ABadSectionValue_NamesTheKeyAndTheVariable()
    {
        var failure = Assert.Throws<ExecutionSettingsException>(() => ExecutionOptions.Read(Configuration(("Runtime:Execution:MaxMemoryMb", "abc"))));

        Assert.Equal(["Runtime:Execution:MaxMemoryMb (EXECUTION_MAX_MEMORY_MB) is 'abc': expected a whole number of MiB, at least 1."], failure.Errors);
    }
}
