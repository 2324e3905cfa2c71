using System.Net;
using Runtime.ServiceDefaults;
using Xunit;

namespace Runtime.Tests.ServiceDefaults;

/// <summary>The service defaults export traces, metrics and logs over OTLP to a real receiver, and only when an endpoint is set.</summary>
public sealed class OtlpExportTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(20);

    [Theory]
    [InlineData("http/protobuf")]
    [InlineData("grpc")]
    public async Task With_an_OTLP_endpoint_spans_metrics_and_logs_reach_the_collector(string protocol)
    {
        await using var receiver = await OtlpReceiver.StartAsync(grpc: protocol == "grpc");
        await using var host = await DefaultsHost.StartAsync(Exporting(receiver, protocol));
        var marker = Marker();

        Assert.Equal(HttpStatusCode.OK, (await host.Client.GetAsync($"/traced/{marker}")).StatusCode);

        var traces = await receiver.WaitForAsync("traces", marker, Patience);
        Assert.True(OtlpReceiver.Contains(traces, DefaultsHost.SourceName), "the span's scope is Runtime's source");
        await receiver.WaitForAsync("traces", payload => OtlpReceiver.ContainsAttribute(payload, "http.route", "/traced/{marker}"),
            "the server span of the request", Patience);
        var metrics = await receiver.WaitForAsync("metrics", "runtime.tests." + marker, Patience);
        Assert.True(OtlpReceiver.Contains(metrics, DefaultsHost.SourceName), "the counter's scope is Runtime's meter");
        await receiver.WaitForAsync("logs", $"Traced request {marker}", Patience);
    }

    [Fact]
    public async Task Health_probes_are_not_traced()
    {
        await using var receiver = await OtlpReceiver.StartAsync();
        await using var host = await DefaultsHost.StartAsync(Exporting(receiver, "http/protobuf"));
        var marker = Marker();

        Assert.Equal(HttpStatusCode.OK, (await host.Client.GetAsync(Extensions.AlivePath)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await host.Client.GetAsync(Extensions.HealthPath)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await host.Client.GetAsync($"/traced/{marker}")).StatusCode);

        // The probes' server spans would have ended first, so they would be in this export or an earlier one.
        // (The test's own client spans of the probes are there: HttpClient instrumentation sees this whole process.)
        await receiver.WaitForAsync("traces", payload => OtlpReceiver.ContainsAttribute(payload, "url.path", $"/traced/{marker}"),
            "the server span of the traced request", Patience);
        Assert.DoesNotContain(receiver.Exports, e => e.Signal == "traces" &&
            (OtlpReceiver.ContainsAttribute(e.Payload, "url.path", Extensions.AlivePath) || OtlpReceiver.ContainsAttribute(e.Payload, "url.path", Extensions.HealthPath)));
    }

    [Fact]
    public async Task Without_OTEL_EXPORTER_OTLP_ENDPOINT_nothing_is_exported_and_the_host_still_serves()
    {
        await using var receiver = await OtlpReceiver.StartAsync();
        var settings = Exporting(receiver, "http/protobuf");
        settings[OpenTelemetryDefaults.EndpointSetting] = "";
        // Per-signal endpoints alone do not turn the exporter on: it would send to the receiver if they did.
        foreach (var signal in new[] { "TRACES", "METRICS", "LOGS" })
            settings[$"OTEL_EXPORTER_OTLP_{signal}_ENDPOINT"] = new Uri(receiver.Endpoint, $"v1/{signal.ToLowerInvariant()}").ToString();
        var marker = Marker();

        await using (var host = await DefaultsHost.StartAsync(settings))
        {
            using var response = await host.Client.GetAsync($"/traced/{marker}");
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.Equal(marker, await response.Content.ReadAsStringAsync());
            Assert.Equal(HttpStatusCode.OK, (await host.Client.GetAsync(Extensions.AlivePath)).StatusCode);
        }

        // Disposing the host flushed every provider: whatever it was going to export has been sent by now.
        Assert.Empty(receiver.Exports);
    }

    private static Dictionary<string, string?> Exporting(OtlpReceiver receiver, string protocol) => new()
    {
        [OpenTelemetryDefaults.EndpointSetting] = receiver.Endpoint.ToString(),
        ["OTEL_EXPORTER_OTLP_PROTOCOL"] = protocol,
        ["OTEL_SERVICE_NAME"] = "defaults-test",
        // Short export intervals, so that each signal arrives within a second rather than after 5 to 60 s.
        ["OTEL_BSP_SCHEDULE_DELAY"] = "100",
        ["OTEL_BLRP_SCHEDULE_DELAY"] = "100",
        ["OTEL_METRIC_EXPORT_INTERVAL"] = "200",
    };

    private static string Marker() => "m" + Guid.NewGuid().ToString("N");
}
