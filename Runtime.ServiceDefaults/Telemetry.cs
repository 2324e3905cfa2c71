using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using OpenTelemetry;
using OpenTelemetry.Logs;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;

namespace Runtime.ServiceDefaults;

/// <summary>
/// OpenTelemetry for a host. The hosting and instrumentation packages are not obtainable here
/// (DESIGN §9), so the SDK is built with <see cref="OpenTelemetrySdk.Create"/> and subscribes to
/// the sources the frameworks already emit. Without an OTLP endpoint nothing is exported and the
/// SDK is not built at all: the instruments still feed in-process listeners.
/// </summary>
public static class Telemetry
{
    /// <summary>Activity sources: ASP.NET Core, HttpClient, Npgsql, Orleans' grain calls (they carry the grain id) and all of Runtime's own.</summary>
    public static readonly string[] Sources =
        ["Microsoft.AspNetCore", "System.Net.Http", "Npgsql", "Microsoft.Orleans.Runtime", "Microsoft.Orleans.Application", "Runtime.*"];

    /// <summary>Meters the frameworks publish, plus Runtime's own.</summary>
    public static readonly string[] Meters =
    [
        "Microsoft.AspNetCore.Hosting", "Microsoft.AspNetCore.Server.Kestrel", "Microsoft.AspNetCore.Http.Connections",
        "System.Net.Http", "System.Runtime", "Npgsql", "Microsoft.Orleans", "Runtime.*",
    ];

    public static TBuilder AddRuntimeTelemetry<TBuilder>(this TBuilder builder) where TBuilder : IHostApplicationBuilder
    {
        if (string.IsNullOrWhiteSpace(builder.Configuration["OTEL_EXPORTER_OTLP_ENDPOINT"]))
            return builder;

        var serviceName = builder.Configuration["OTEL_SERVICE_NAME"] ?? builder.Environment.ApplicationName;
        void Resource(ResourceBuilder r) => r.AddService(serviceName, serviceInstanceId: $"{Environment.MachineName}:{Environment.ProcessId}");

        // The exporters read OTEL_EXPORTER_OTLP_ENDPOINT / _PROTOCOL / _HEADERS from the environment.
        var sdk = OpenTelemetrySdk.Create(otel => otel
            .ConfigureResource(Resource)
            .WithTracing(tracing => tracing.AddSource(Sources).AddOtlpExporter())
            .WithMetrics(metrics => metrics.AddMeter(Meters).AddOtlpExporter()));
        builder.Services.AddHostedService(_ => new TelemetryLifetime(sdk));

        builder.Logging.AddOpenTelemetry(logging =>
        {
            logging.SetResourceBuilder(ResourceBuilder.CreateDefault().AddService(serviceName));
            logging.IncludeFormattedMessage = true;
            logging.IncludeScopes = true;
            logging.AddOtlpExporter();
        });
        return builder;
    }

    /// <summary>Flushes and disposes the SDK when the host stops, so the last spans are not lost.</summary>
    private sealed class TelemetryLifetime(OpenTelemetrySdk sdk) : IHostedService
    {
        public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

        public Task StopAsync(CancellationToken cancellationToken)
        {
            sdk.Dispose();
            return Task.CompletedTask;
        }
    }
}
