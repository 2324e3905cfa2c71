using System.Diagnostics;
using System.Diagnostics.Metrics;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using OpenTelemetry.Instrumentation.AspNetCore;
using Runtime.ServiceDefaults;

namespace Runtime.Tests.ServiceDefaults;

/// <summary>
/// A web host on a loopback port with nothing but the service defaults and one endpoint, <c>/traced/{marker}</c>,
/// that emits each signal named after the marker: a span of a <c>Runtime.*</c> source, a counter of a
/// <c>Runtime.*</c> meter and a log entry.
/// </summary>
internal sealed class DefaultsHost : IAsyncDisposable
{
    public const string SourceName = "Runtime.Tests.ServiceDefaults";
    private static readonly ActivitySource Source = new(SourceName);
    private static readonly Meter Meter = new(SourceName);

    private DefaultsHost(WebApplication app)
    {
        App = app;
        Client = new HttpClient { BaseAddress = new Uri(app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First()) };
    }

    public WebApplication App { get; }

    public HttpClient Client { get; }

    /// <summary>Starts the host; <paramref name="settings"/> override the process's environment (so an unset endpoint is "").</summary>
    public static async Task<DefaultsHost> StartAsync(IDictionary<string, string?> settings, Action<WebApplicationBuilder>? configure = null)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Configuration.AddInMemoryCollection(settings);
        builder.AddServiceDefaults();
        // Instrumentation listens process-wide: a collector in this process would see its own requests traced
        // and exported, one export causing the next. A real collector is another process.
        builder.Services.PostConfigure<AspNetCoreTraceInstrumentationOptions>(options =>
        {
            var filter = options.Filter;
            options.Filter = context => !OtlpReceiver.IsExport(context.Request.Path) && (filter is null || filter(context));
        });
        configure?.Invoke(builder);
        var app = builder.Build();
        app.MapDefaultEndpoints();
        app.MapGet("/traced/{marker}", (string marker, ILogger<DefaultsHost> logger) =>
        {
            using (Source.StartActivity(marker))
            {
                Meter.CreateCounter<long>("runtime.tests." + marker).Add(1);
                logger.LogInformation("Traced request {Marker}", marker);
            }
            return marker;
        });
        await app.StartAsync();
        return new DefaultsHost(app);
    }

    public async ValueTask DisposeAsync()
    {
        Client.Dispose();
        await App.DisposeAsync();
    }
}
