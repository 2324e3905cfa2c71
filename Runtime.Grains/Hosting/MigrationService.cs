using Microsoft.Extensions.Hosting;
using Runtime.Grains.Storage;

namespace Runtime.Grains.Hosting;

/// <summary>Applies migrations before any other hosted service starts (it is registered first).</summary>
internal sealed class MigrationService(Migrator migrator) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken) => migrator.MigrateAsync(cancellationToken);

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
