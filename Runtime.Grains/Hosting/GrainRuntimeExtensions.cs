using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Npgsql;
using Runtime.Grains.Activities;
using Runtime.Grains.Assignments;
using Runtime.Grains.Blobs;
using Runtime.Grains.Sources;
using Runtime.Grains.Silos;
using Runtime.Grains.Storage;

namespace Runtime.Grains.Hosting;

/// <summary>What Runtime's hosts share: the database, migrations and the services beside the grains.</summary>
public static class GrainRuntimeExtensions
{
    /// <summary>
    /// What every Runtime process needs: the data source (<c>ConnectionStrings:runtime</c>), migrations
    /// and the check of Orleans' queries at start-up, the activity registry, the assignment queue, blobs and git.
    /// </summary>
    public static IServiceCollection AddGrainRuntime(this IServiceCollection services, string applicationName)
    {
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton<NpgsqlDataSource>(sp =>
        {
            var connectionString = sp.GetRequiredService<IConfiguration>().GetConnectionString(RuntimeDatabase.ConnectionStringName);
            if (string.IsNullOrWhiteSpace(connectionString))
            {
                throw new InvalidOperationException(
                    "No database is configured: set ConnectionStrings__runtime to a PostgreSQL connection string, " +
                    "or start everything with `dotnet run --project Runtime.AppHost`, which provides one.");
            }
            return RuntimeDatabase.Create(connectionString, applicationName);
        });
        if (!services.Any(d => d.ImplementationType == typeof(MigrationService)))
        {
            // First hosted service: everything after it may assume the schema is current.
            services.Insert(0, ServiceDescriptor.Singleton<IHostedService, MigrationService>());
        }
        services.TryAddSingleton<Migrator>();
        services.TryAddSingleton<ActivityRegistry>();
        services.TryAddSingleton<AssignmentQueue>();
        services.TryAddSingleton<IBlobStore, PostgresBlobStore>();
        services.TryAddSingleton<GitFetcher>();
        return services;
    }

    /// <summary>
    /// What a silo adds for its embedded agent: its identity and heartbeat in <c>silos</c> (configured
    /// from <c>Runtime:Delivery</c>) and the LISTEN that wakes it when work is queued.
    /// </summary>
    public static IServiceCollection AddSiloMembership(this IServiceCollection services, string siloName)
    {
        services.AddOptions<DeliveryOptions>().BindConfiguration(DeliveryOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        services.TryAddSingleton(new SiloIdentity(siloName));
        services.TryAddSingleton<DeliverySignals>();
        services.AddHostedService<SiloMembership>();
        services.AddSingleton<NotificationListener>();
        services.AddHostedService(sp => sp.GetRequiredService<NotificationListener>());
        return services;
    }
}
