using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace Runtime.ServiceDefaults;

/// <summary>
/// Every HttpClient made through <see cref="IHttpClientFactory"/> resolves service names (service
/// discovery) and gets the standard resilience handler: up to 3 retries of transient failures with
/// backoff, 10 s per attempt, 30 s in all, and a circuit breaker.
/// </summary>
/// <remarks>
/// Runtime's own long-lived clients are deliberately not factory clients, because those limits would
/// break them: the agent's gateway client (<c>GatewayClient</c>) long-polls claims for longer than 30 s
/// and streams archives for minutes, and reports are not idempotent; the workload health probe
/// (<c>HealthProbe</c>) must see each failure rather than a retried success; the app proxy's
/// <c>HttpMessageInvoker</c> forwards streams (SSE, WebSockets) that may last for hours and must never
/// replay a request. Each sets its own timeouts.
/// </remarks>
public static class HttpClientDefaults
{
    /// <summary>
    /// The named clients the OTLP exporter takes from the factory (with <c>http/protobuf</c>). The
    /// exporter has its own timeout (<c>OTEL_EXPORTER_OTLP_TIMEOUT</c>) and drops a batch it cannot
    /// send; retrying inside it would hold the export thread, and Polly's retry warnings would be
    /// logged, exported and failed again while the collector is down.
    /// </summary>
    public static readonly string[] WithoutResilience = ["OtlpTraceExporter", "OtlpMetricExporter", "OtlpLogExporter"];

    public static TBuilder AddHttpClientDefaults<TBuilder>(this TBuilder builder) where TBuilder : IHostApplicationBuilder
    {
        builder.Services.AddServiceDiscovery();
        builder.Services.ConfigureHttpClientDefaults(http =>
        {
            http.AddStandardResilienceHandler();
            http.AddServiceDiscovery();
        });
        // A named client's configuration runs after the defaults, so this removes what they added.
        // RemoveAllResilienceHandlers is still marked experimental; it is the package's one way to opt out.
#pragma warning disable EXTEXP0001
        foreach (var name in WithoutResilience)
            builder.Services.AddHttpClient(name).RemoveAllResilienceHandlers();
#pragma warning restore EXTEXP0001
        return builder;
    }
}
