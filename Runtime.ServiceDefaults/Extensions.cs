using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Hosting;

namespace Runtime.ServiceDefaults;

/// <summary>
/// The conventions every Runtime host follows, in the shape of .NET Aspire's ServiceDefaults:
/// one log format, OpenTelemetry (exported over OTLP when <c>OTEL_EXPORTER_OTLP_ENDPOINT</c> is set),
/// health checks behind <c>/health</c> and <c>/alive</c>, service discovery and resilient HttpClients,
/// and shutting down when the AppHost that started the process is gone.
/// </summary>
public static class Extensions
{
    /// <summary>Health checks tagged with this run for <c>/alive</c> too: they say the process works, not that its dependencies do.</summary>
    public const string LiveTag = "live";

    /// <summary>The paths <see cref="MapDefaultEndpoints"/> maps; probes of them are not traced.</summary>
    public const string HealthPath = "/health", AlivePath = "/alive";

    public static TBuilder AddServiceDefaults<TBuilder>(this TBuilder builder) where TBuilder : IHostApplicationBuilder
    {
        builder.AddLogDefaults();
        builder.ConfigureOpenTelemetry();
        builder.AddDefaultHealthChecks();
        builder.AddHttpClientDefaults();
        builder.Services.AddHostedService<ParentProcessWatcher>();
        return builder;
    }

    /// <summary>The process's own checks: <c>self</c> for liveness, and memory, which degrades but never fails <c>/health</c>.</summary>
    public static TBuilder AddDefaultHealthChecks<TBuilder>(this TBuilder builder) where TBuilder : IHostApplicationBuilder
    {
        builder.Services.AddHealthChecks()
            .AddCheck("self", () => HealthCheckResult.Healthy("The process answers."), [LiveTag])
            .AddCheck<MemoryHealthCheck>("memory", HealthStatus.Degraded);
        return builder;
    }

    /// <summary>
    /// <c>/health</c>: every check; 503 only when a critical one (registered with failure status
    /// Unhealthy, such as the database) fails, 200 with "Degraded" otherwise. <c>/alive</c>: liveness only.
    /// Mapped in every environment: the AppHost and the remote agents probe them in production too.
    /// </summary>
    public static WebApplication MapDefaultEndpoints(this WebApplication app)
    {
        app.MapHealthChecks(HealthPath, new HealthCheckOptions { ResponseWriter = HealthResponse.WriteAsync })
            .AllowAnonymous().ExcludeFromDescription();
        app.MapHealthChecks(AlivePath, new HealthCheckOptions
        {
            Predicate = check => check.Tags.Contains(LiveTag),
            ResponseWriter = HealthResponse.WriteAsync,
        }).AllowAnonymous().ExcludeFromDescription();
        return app;
    }

    internal static bool IsHealthProbe(HttpContext context) =>
        context.Request.Path.StartsWithSegments(HealthPath) || context.Request.Path.StartsWithSegments(AlivePath);
}
