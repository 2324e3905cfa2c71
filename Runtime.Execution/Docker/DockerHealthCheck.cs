using Microsoft.Extensions.Diagnostics.HealthChecks;
using Runtime.Execution.Workloads;

namespace Runtime.Execution.Docker;

/// <summary>
/// The docker executor on this host (<c>/health</c>, check <c>docker</c>): Healthy when the engine answers and the
/// runtime image is there; Degraded, never Unhealthy, with the reason when the engine does not answer or the image
/// is missing, since processes still run. Switched off (<c>DOCKER_ENABLED=false</c>) it is Healthy and says so.
/// </summary>
public sealed class DockerHealthCheck(ExecutionOptions options) : IHealthCheck
{
    public const string Name = "docker";

    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        if (options.DockerEnabled == false)
            return HealthCheckResult.Healthy("The docker executor is off (DOCKER_ENABLED=false); workloads run as processes.");
        using var engine = new DockerEngine(options.DockerHost);
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(TimeSpan.FromSeconds(3));
        var status = await engine.CheckAsync(timeout.Token);
        var data = new Dictionary<string, object> { ["endpoint"] = engine.Endpoint.ToString(), ["image"] = options.DockerImage };
        if (!status.Available)
            return HealthCheckResult.Degraded($"Docker workloads cannot run: {status.Reason}. Processes still run.", data: data);
        data["engineVersion"] = status.Version ?? "";
        bool exists;
        try
        {
            exists = await engine.ImageExistsAsync(options.DockerImage, timeout.Token);
        }
        catch (Exception e) when (DockerEngine.IsUnreachable(e) || e is OperationCanceledException)
        {
            return HealthCheckResult.Degraded($"Docker stopped answering while its images were listed: {e.Message}. Processes still run.", data: data);
        }
        if (!exists)
        {
            var build = options.AutoBuildImage
                ? "it is built on the first docker workload (EXECUTION_AUTO_BUILD_IMAGE)"
                : "build it with: sudo images/runtime-python/build-runtime.sh";
            return HealthCheckResult.Degraded($"The image {options.DockerImage} is missing; {build}.", data: data);
        }
        return HealthCheckResult.Healthy($"Docker {status.Version} answers and {options.DockerImage} is there.", data);
    }
}
