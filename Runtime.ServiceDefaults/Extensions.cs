using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Runtime.ServiceDefaults;

/// <summary>
/// The conventions every Runtime host follows, in the manner of .NET Aspire's ServiceDefaults:
/// one log format, OpenTelemetry with OTLP export when <c>OTEL_EXPORTER_OTLP_ENDPOINT</c> is set,
/// <c>/health</c> and <c>/alive</c>, and shutting down when the AppHost that started it is gone.
/// </summary>
public static class Extensions
{
    /// <summary>Health checks tagged with this run for <c>/alive</c> too: they say the process works, not that its dependencies do.</summary>
    public const string LiveTag = "live";

    public static TBuilder AddServiceDefaults<TBuilder>(this TBuilder builder) where TBuilder : IHostApplicationBuilder
    {
        // Defaults first, so that appsettings and Logging__LogLevel__* environment variables override them.
        builder.Configuration.Sources.Insert(0, new Microsoft.Extensions.Configuration.Memory.MemoryConfigurationSource
        {
            InitialData = new Dictionary<string, string?>
            {
                ["Logging:LogLevel:Default"] = "Information",
                ["Logging:LogLevel:Microsoft.AspNetCore"] = "Warning",
                // Two Information lines per proxied request would cost more than the forwarding itself.
                ["Logging:LogLevel:Yarp"] = "Warning",
            },
        });
        builder.Logging.ClearProviders();
        builder.Logging.AddSimpleConsole(options =>
        {
            options.SingleLine = true;
            options.UseUtcTimestamp = true;
            options.TimestampFormat = "yyyy-MM-ddTHH:mm:ss.fffZ ";
        });

        builder.AddRuntimeTelemetry();

        builder.Services.AddHealthChecks()
            .AddCheck("self", () => HealthCheckResult.Healthy("The process answers."), [LiveTag])
            .AddCheck<MemoryHealthCheck>("memory", HealthStatus.Degraded);

        builder.Services.AddHostedService<ParentProcessWatcher>();
        return builder;
    }

    /// <summary>
    /// <c>/health</c>: every check; 503 only when a critical one (registered with failure status
    /// Unhealthy, such as the database) fails, 200 with "Degraded" otherwise. <c>/alive</c>: liveness only.
    /// </summary>
    public static WebApplication MapDefaultEndpoints(this WebApplication app)
    {
        app.MapHealthChecks("/health", new HealthCheckOptions { ResponseWriter = HealthResponse.WriteAsync })
            .AllowAnonymous().ExcludeFromDescription();
        app.MapHealthChecks("/alive", new HealthCheckOptions
        {
            Predicate = check => check.Tags.Contains(LiveTag),
            ResponseWriter = HealthResponse.WriteAsync,
        }).AllowAnonymous().ExcludeFromDescription();
        return app;
    }
}
