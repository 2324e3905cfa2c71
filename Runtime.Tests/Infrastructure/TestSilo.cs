using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Runtime.Grains;
using Runtime.Grains.Hosting;
using Runtime.Silo.Extensions;

namespace Runtime.Tests.Infrastructure;

/// <summary>The real silo host (<see cref="SiloExtensions.AddRuntimeSilo"/>) plus the test grains, in this process.</summary>
public sealed class TestSilo : IAsyncDisposable
{
    private readonly WebApplication _app;

    private TestSilo(WebApplication app) => _app = app;

    public IServiceProvider Services => _app.Services;

    public Orleans.IGrainFactory Grains => _app.Services.GetRequiredService<Orleans.IGrainFactory>();

    /// <param name="settings">Configuration that differs from <see cref="TestRuntime.FastDelivery"/> for this silo.</param>
    public static async Task<TestSilo> StartAsync(string connectionString, string name, IReadOnlyDictionary<string, string?>? settings = null)
    {
        var builder = CreateBuilder([]);
        builder.Configuration.AddInMemoryCollection(TestRuntime.FastDelivery);
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["ConnectionStrings:runtime"] = connectionString,
            ["Runtime:Silo:Name"] = name,
        });
        if (settings is not null)
            builder.Configuration.AddInMemoryCollection(settings);
        var app = builder.Build();
        await app.StartAsync();
        return new TestSilo(app);
    }

    /// <summary>
    /// A silo that only hosts grains: no delivery loops, no embedded agent, so that a test's own silos
    /// (and their agents) are the only ones taking work. The Api fixture runs one.
    /// </summary>
    /// <param name="clock">A clock for the grains alone (Orleans keeps the real one).</param>
    public static async Task<TestSilo> StartGrainHostAsync(string connectionString, string name, IReadOnlyDictionary<string, string?>? settings = null, TimeProvider? clock = null)
    {
        var builder = WebApplication.CreateBuilder();
        builder.WebHost.UseUrls(Runtime.Silo.Extensions.SiloExtensions.DefaultUrl);
        builder.Configuration.AddInMemoryCollection(TestRuntime.FastDelivery);
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["ConnectionStrings:runtime"] = connectionString,
            ["Runtime:Silo:Name"] = name,
        });
        if (settings is not null)
            builder.Configuration.AddInMemoryCollection(settings);
        if (clock is not null)
            builder.Services.AddKeyedSingleton(Runtime.Grains.Engine.GrainKeys.Clock, clock);
        builder.Services.AddSingleton<Orleans.Runtime.IFatalErrorHandler, TestFatalErrors>();
        builder.Services.AddRuntimeGrains("runtime-" + name);
        builder.Services.AddTestGrains();
        builder.AddRuntimeCluster();
        builder.Logging.AddProvider(new RecordingLoggerProvider());
        var app = builder.Build();
        await app.StartAsync();
        return new TestSilo(app);
    }

    /// <summary>The builder shared by in-process and child-process test silos.</summary>
    public static WebApplicationBuilder CreateBuilder(string[] args)
    {
        var builder = WebApplication.CreateBuilder(args);
        // Before Orleans' own, which would end the test run; a child-process silo may just as well report and go on.
        builder.Services.AddSingleton<Orleans.Runtime.IFatalErrorHandler, TestFatalErrors>();
        builder.AddRuntimeSilo();
        builder.Logging.AddProvider(new RecordingLoggerProvider());
        builder.Services.AddTestGrains();
        return builder;
    }

    public async ValueTask DisposeAsync()
    {
        // A test's silo need not leave gracefully: past a few seconds Orleans stops it at once.
        using var quick = new CancellationTokenSource(TimeSpan.FromSeconds(3));
        await _app.StopAsync(quick.Token);
        await _app.DisposeAsync();
    }
}
