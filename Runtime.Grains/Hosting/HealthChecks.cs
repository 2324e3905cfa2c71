using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Options;
using Npgsql;
using Runtime.Grains.Silos;

namespace Runtime.Grains.Hosting;

/// <summary>The database is the one critical dependency: without it nothing works, so it fails /health with 503.</summary>
internal sealed class DatabaseHealthCheck(NpgsqlDataSource dataSource) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        try
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(TimeSpan.FromSeconds(3));
            await using var command = dataSource.CreateCommand("SELECT max(version) FROM schema_migrations");
            var version = await command.ExecuteScalarAsync(timeout.Token);
            return HealthCheckResult.Healthy("PostgreSQL answers.", new Dictionary<string, object> { ["schemaVersion"] = version ?? 0 });
        }
        catch (Exception e) when (e is NpgsqlException or OperationCanceledException or InvalidOperationException)
        {
            return new HealthCheckResult(context.Registration.FailureStatus, $"PostgreSQL does not answer: {e.Message}");
        }
    }
}

/// <summary>Degraded when no silo is alive: calls still work, but messages, reminders and activities wait.</summary>
internal sealed class SilosHealthCheck(NpgsqlDataSource dataSource, TimeProvider time, IOptions<DeliveryOptions> options) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        try
        {
            await using var command = dataSource.CreateCommand("SELECT count(*) FROM silos WHERE status = 'active' AND heartbeat_at >= $1");
            command.Parameters.Add(new NpgsqlParameter { Value = time.GetUtcNow() - options.Value.SiloDeadAfter });
            var alive = (long)(await command.ExecuteScalarAsync(cancellationToken))!;
            var data = new Dictionary<string, object> { ["activeSilos"] = alive };
            return alive > 0
                ? HealthCheckResult.Healthy($"{alive} silo(s) alive.", data)
                : new HealthCheckResult(context.Registration.FailureStatus,
                    "No silo is alive: messages, reminders and activities wait until one starts (dotnet run --project Runtime.Silo).", data: data);
        }
        catch (Exception e) when (e is NpgsqlException or OperationCanceledException)
        {
            return new HealthCheckResult(context.Registration.FailureStatus, $"Cannot read silo membership: {e.Message}");
        }
    }
}

public static class HealthCheckExtensions
{
    /// <summary>The database check (critical: 503 when it fails).</summary>
    public static IHealthChecksBuilder AddDatabaseCheck(this IHealthChecksBuilder checks) =>
        checks.AddCheck<DatabaseHealthCheck>("database", HealthStatus.Unhealthy);

    /// <summary>The silo membership check (degrades only).</summary>
    public static IHealthChecksBuilder AddSilosCheck(this IHealthChecksBuilder checks)
    {
        checks.Services.AddOptions<DeliveryOptions>().BindConfiguration(DeliveryOptions.Section);
        return checks.AddCheck<SilosHealthCheck>("silos", HealthStatus.Degraded);
    }
}
