using Xunit;

namespace Runtime.Tests.Infrastructure;

/// <summary>A database, a grain-only silo and a client for tests of grains without the Api, shared by a class.</summary>
public sealed class EngineCluster : IAsyncLifetime
{
    public TestDatabase Database { get; } = new();

    public TestSilo Silo { get; private set; } = null!;

    public TestClusterClient Cluster { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        await Database.InitializeAsync();
        Silo = await TestSilo.StartGrainHostAsync(Database.ConnectionString, "silo-engine");
        Cluster = await TestClusterClient.StartAsync(Database.ConnectionString);
    }

    public async Task DisposeAsync()
    {
        await Cluster.DisposeAsync();
        await Silo.DisposeAsync();
        await Database.DisposeAsync();
    }
}
