using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Npgsql;
using OpenTelemetry;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;

namespace Runtime.ServiceDefaults;

/// <summary>
/// Traces, metrics and logs through the OpenTelemetry hosting package: ASP.NET Core, HttpClient,
/// runtime and Npgsql instrumentation, Orleans' sources and Runtime's own. The exporters, their
/// protocol, headers and timeouts follow the standard <c>OTEL_EXPORTER_OTLP_*</c> settings.
/// </summary>
public static class OpenTelemetryDefaults
{
    public const string EndpointSetting = "OTEL_EXPORTER_OTLP_ENDPOINT";

    public static TBuilder ConfigureOpenTelemetry<TBuilder>(this TBuilder builder) where TBuilder : IHostApplicationBuilder
    {
        builder.Logging.AddOpenTelemetry(logging =>
        {
            logging.IncludeFormattedMessage = true;
            logging.IncludeScopes = true;
        });

        var otel = builder.Services.AddOpenTelemetry();
        // The AppHost names each process through OTEL_SERVICE_NAME (and its instance through
        // OTEL_RESOURCE_ATTRIBUTES); a host started any other way is named after its assembly.
        if (string.IsNullOrWhiteSpace(builder.Configuration["OTEL_SERVICE_NAME"]))
            otel.ConfigureResource(resource => resource.AddService(builder.Environment.ApplicationName,
                serviceInstanceId: $"{Environment.MachineName}:{Environment.ProcessId}"));

        otel.WithMetrics(metrics => metrics
                .AddAspNetCoreInstrumentation()
                .AddHttpClientInstrumentation()
                .AddRuntimeInstrumentation()
                .AddNpgsqlInstrumentation()
                .AddMeter(TelemetrySources.Meters))
            .WithTracing(tracing => tracing
                // A probe every few seconds from the AppHost would bury the requests that matter.
                .AddAspNetCoreInstrumentation(options => options.Filter = context => !Extensions.IsHealthProbe(context))
                .AddHttpClientInstrumentation()
                .AddNpgsql()
                .AddSource(TelemetrySources.ActivitySources));

        if (!string.IsNullOrWhiteSpace(builder.Configuration[EndpointSetting]))
            otel.UseOtlpExporter();
        return builder;
    }
}
