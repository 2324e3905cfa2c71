using Microsoft.Extensions.Hosting;
using Npgsql;
using Runtime.Grains.Cluster;
using Runtime.Grains.Storage;

namespace Runtime.Grains.Hosting;

/// <summary>
/// Applies migrations, then checks Orleans' query keys, before any other hosted service starts (it is
/// registered first, so the Orleans silo or client starts on a schema that is current and complete).
/// </summary>
internal sealed class MigrationService(Migrator migrator, NpgsqlDataSource dataSource) : IHostedService
{
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        await migrator.MigrateAsync(cancellationToken);
        await OrleansQueries.EnsureAsync(dataSource, cancellationToken);
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
