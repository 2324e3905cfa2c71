using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Runtime.ServiceDefaults;

/// <summary>Degraded when the process uses more than 90% of the memory the runtime may use (container limit or RAM).</summary>
internal sealed class MemoryHealthCheck : IHealthCheck
{
    private const double Threshold = 0.9;

    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        var info = GC.GetGCMemoryInfo();
        var used = Environment.WorkingSet;
        var available = info.TotalAvailableMemoryBytes;
        var data = new Dictionary<string, object> { ["workingSetBytes"] = used, ["availableBytes"] = available };
        var ratio = available > 0 ? (double)used / available : 0;
        return Task.FromResult(ratio > Threshold
            ? new HealthCheckResult(context.Registration.FailureStatus, $"Using {ratio:P0} of the memory available to the process.", data: data)
            : HealthCheckResult.Healthy($"Using {ratio:P0} of the memory available to the process.", data));
    }
}
