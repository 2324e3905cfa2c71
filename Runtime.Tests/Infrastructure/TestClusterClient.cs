using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Orleans;
using Orleans.Hosting;
using Runtime.Grains.Cluster;

namespace Runtime.Tests.Infrastructure;

/// <summary>An Orleans client of the cluster whose silos use <paramref name="connectionString"/>'s database.</summary>
public sealed class TestClusterClient : IAsyncDisposable
{
    private readonly IHost _host;

    private TestClusterClient(IHost host) => _host = host;

    public IClusterClient Client => _host.Services.GetRequiredService<IClusterClient>();

    /// <param name="clusterId">The cluster to join, when not the default one.</param>
    public static async Task<TestClusterClient> StartAsync(string connectionString, string? clusterId = null)
    {
        var builder = Host.CreateApplicationBuilder();
        builder.Configuration.AddClusterDefaults(silo: false);
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?> { ["ConnectionStrings:runtime"] = connectionString });
        if (clusterId is not null)
            builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?> { ["Orleans:ClusterId"] = clusterId });
        builder.UseOrleansClient(client => client.AddActivityPropagation());
        var host = builder.Build();
        await host.StartAsync();
        return new TestClusterClient(host);
    }

    public async ValueTask DisposeAsync()
    {
        await _host.StopAsync();
        _host.Dispose();
    }
}
