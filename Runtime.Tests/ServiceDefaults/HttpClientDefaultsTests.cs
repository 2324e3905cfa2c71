using System.Collections.Concurrent;
using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Http;
using Microsoft.Extensions.Http.Resilience;
using Microsoft.Extensions.Logging;
using Runtime.ServiceDefaults;
using Xunit;

namespace Runtime.Tests.ServiceDefaults;

/// <summary>Factory HttpClients get retries and service discovery; the OTLP exporter's do not get retries.</summary>
public sealed class HttpClientDefaultsTests
{
    [Fact]
    public async Task The_OTLP_exporters_clients_carry_no_resilience_handler()
    {
        var chains = new ConcurrentDictionary<string, Type[]>();
        await using var receiver = await OtlpReceiver.StartAsync();
        await using (var host = await DefaultsHost.StartAsync(new Dictionary<string, string?>
        {
            [OpenTelemetryDefaults.EndpointSetting] = receiver.Endpoint.ToString(),
            ["OTEL_EXPORTER_OTLP_PROTOCOL"] = "http/protobuf",
            ["OTEL_BSP_SCHEDULE_DELAY"] = "100",
        }, builder => builder.Services.AddSingleton<IHttpMessageHandlerBuilderFilter>(new RecordingFilter(chains))))
        {
            var marker = "m" + Guid.NewGuid().ToString("N");
            await host.Client.GetAsync($"/traced/{marker}");
            await receiver.WaitForAsync("traces", marker, TimeSpan.FromSeconds(20));
            // Any other client, for contrast.
            using var other = host.App.Services.GetRequiredService<IHttpClientFactory>().CreateClient("other");
        }

        // The chains the exporters really asked the factory for, under the names they use. The log exporter of
        // OpenTelemetry 1.20 makes its own client (the factory's ILoggerFactory dependency was a cycle), but
        // versions have gone back and forth on that, so its name is opted out as well.
        Assert.Contains("OtlpTraceExporter", chains.Keys);
        Assert.Contains("OtlpMetricExporter", chains.Keys);
        Assert.All(HttpClientDefaults.WithoutResilience.Where(chains.ContainsKey), name => Assert.DoesNotContain(typeof(ResilienceHandler), chains[name]));
        Assert.Contains(typeof(ResilienceHandler), chains["other"]);
    }

    [Fact]
    public async Task An_OTLP_exporter_client_sends_a_refused_export_once()
    {
        await using var server = await FlakyServer.StartAsync(failures: 1);
        using var host = BuildHost();
        var factory = host.Services.GetRequiredService<IHttpClientFactory>();

        foreach (var name in HttpClientDefaults.WithoutResilience)
        {
            using var response = await factory.CreateClient(name).PostAsync(new Uri(server.Address, name), new ByteArrayContent([1]));
            Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
            Assert.Equal(1, server.Requests(name));
        }
    }

    [Fact]
    public async Task Any_other_factory_client_retries_a_transient_failure()
    {
        await using var server = await FlakyServer.StartAsync(failures: 1);
        using var host = BuildHost();

        using var response = await host.Services.GetRequiredService<IHttpClientFactory>().CreateClient("other").GetAsync(new Uri(server.Address, "other"));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(2, server.Requests("other"));
    }

    private static IHost BuildHost()
    {
        var builder = Host.CreateApplicationBuilder();
        builder.Configuration[OpenTelemetryDefaults.EndpointSetting] = "";
        builder.AddServiceDefaults();
        return builder.Build();
    }

    /// <summary>Records the handler types of each named client the factory builds, after every configuration has run.</summary>
    private sealed class RecordingFilter(ConcurrentDictionary<string, Type[]> chains) : IHttpMessageHandlerBuilderFilter
    {
        public Action<HttpMessageHandlerBuilder> Configure(Action<HttpMessageHandlerBuilder> next) => builder =>
        {
            next(builder);
            chains[builder.Name ?? ""] = builder.AdditionalHandlers.Select(h => h.GetType()).ToArray();
        };
    }

    /// <summary>Answers 503 to the first <c>failures</c> requests of each path, 200 after, and counts them.</summary>
    private sealed class FlakyServer : IAsyncDisposable
    {
        private readonly ConcurrentDictionary<string, int> _requests = new();
        private WebApplication _app = null!;

        public Uri Address => new(_app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First() + "/");

        public int Requests(string path) => _requests.GetValueOrDefault(path);

        public static async Task<FlakyServer> StartAsync(int failures)
        {
            var builder = WebApplication.CreateSlimBuilder();
            builder.Logging.ClearProviders();
            builder.WebHost.UseUrls("http://127.0.0.1:0");
            var server = new FlakyServer { _app = builder.Build() };
            server._app.Run(context =>
            {
                var count = server._requests.AddOrUpdate(context.Request.Path.Value!.TrimStart('/'), 1, (_, n) => n + 1);
                context.Response.StatusCode = count <= failures ? StatusCodes.Status503ServiceUnavailable : StatusCodes.Status200OK;
                return Task.CompletedTask;
            });
            await server._app.StartAsync();
            return server;
        }

        public async ValueTask DisposeAsync() => await _app.DisposeAsync();
    }
}
