using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Runtime.Execution.Docker;
using Runtime.Execution.Workloads;
using Runtime.Tests.Infrastructure;
using Xunit;

namespace Runtime.Tests.Docker;

/// <summary>The <c>docker</c> health check: an engine that does not answer, or a missing image, degrades /health with the reason and never fails it.</summary>
public sealed class DockerHealthTests
{
    private static Task<HealthCheckResult> CheckAsync(ExecutionOptions options) =>
        new DockerHealthCheck(options).CheckHealthAsync(new HealthCheckContext
        {
            Registration = new HealthCheckRegistration(DockerHealthCheck.Name, _ => null!, HealthStatus.Degraded, null),
        });

    [Fact]
    public async Task AnEngineThatDoesNotAnswer_DegradesHealth_WithTheReason_NeverUnhealthy()
    {
        var missing = Path.Combine(Path.GetTempPath(), $"no-docker-{Guid.NewGuid():N}.sock");
        var result = await CheckAsync(new ExecutionOptions { DockerHost = "unix://" + missing });
        Assert.Equal(HealthStatus.Degraded, result.Status);
        Assert.Contains(missing, result.Description);
        Assert.Contains("Processes still run", result.Description);
    }

    [DockerFact]
    public async Task AMissingImage_DegradesHealth_WithTheCommandThatBuildsIt()
    {
        var result = await CheckAsync(new ExecutionOptions { DockerImage = "runtime-python:0.0-missing-" + Guid.NewGuid().ToString("N")[..6] });
        Assert.Equal(HealthStatus.Degraded, result.Status);
        Assert.Contains("is missing", result.Description);
        Assert.Contains("build-runtime.sh", result.Description);
    }

    [DockerFact]
    public async Task TheEngineAndTheImage_AreHealthy()
    {
        var result = await CheckAsync(new ExecutionOptions());
        Assert.Equal(HealthStatus.Healthy, result.Status);
    }

    [Fact]
    public async Task SwitchedOff_IsHealthy_AndSaysSo()
    {
        var result = await CheckAsync(new ExecutionOptions { DockerEnabled = false });
        Assert.Equal(HealthStatus.Healthy, result.Status);
        Assert.Contains("DOCKER_ENABLED=false", result.Description);
    }

    [Fact]
    public void BadSettings_AreRefusedAtStart_NamingEachVariable()
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["EXECUTION_MAX_MEMORY_MB"] = "abc",
            ["DOCKER_HOST"] = "ftp://nowhere",
            ["EXECUTION_NETWORK"] = "galaxy",
        }).Build();
        var error = Assert.Throws<ExecutionSettingsException>(() => ExecutionOptions.Read(configuration));
        Assert.Contains(error.Errors, e => e.StartsWith("EXECUTION_MAX_MEMORY_MB", StringComparison.Ordinal));
        Assert.Contains(error.Errors, e => e.StartsWith("DOCKER_HOST", StringComparison.Ordinal));
        Assert.Contains(error.Errors, e => e.StartsWith("EXECUTION_NETWORK", StringComparison.Ordinal));
    }
}
