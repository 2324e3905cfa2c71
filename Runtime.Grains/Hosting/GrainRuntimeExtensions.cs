using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Npgsql;
using Runtime.Grains.Activities;
using Runtime.Grains.Assignments;
using Runtime.Grains.Blobs;
using Runtime.Grains.Sources;
using Runtime.Grains.Delivery;
using Runtime.Grains.Storage;

namespace Runtime.Grains.Hosting;

/// <summary>Wires the grain runtime into a host.</summary>
public static class GrainRuntimeExtensions
{
    /// <summary>
    /// What every process that calls grains needs: the data source (<c>ConnectionStrings:runtime</c>),
    /// migrations at start-up, the registries and the grain factory.
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
        services.TryAddSingleton<GrainRegistry>();
        services.TryAddSingleton<ActivityRegistry>();
        services.TryAddSingleton<GrainCallExecutor>();
        services.TryAddSingleton<IGrainFactory, GrainFactory>();
        services.TryAddSingleton<AssignmentQueue>();
        services.TryAddSingleton<IBlobStore, PostgresBlobStore>();
        services.TryAddSingleton<GitFetcher>();
        return services;
    }

    /// <summary>
    /// What a silo adds: membership, the LISTEN/NOTIFY listener and the message, reminder and
    /// activity loops, configured from <c>Runtime:Delivery</c>.
    /// </summary>
    public static IServiceCollection AddGrainDelivery(this IServiceCollection services, string siloName)
    {
        services.AddOptions<DeliveryOptions>().BindConfiguration(DeliveryOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        services.TryAddSingleton(new SiloIdentity(siloName));
        services.TryAddSingleton<DeliverySignals>();
        // Membership first so that it stops last and releases whatever the loops still held.
        services.AddHostedService<SiloMembership>();
        services.AddSingleton<NotificationListener>();
        services.AddHostedService(sp => sp.GetRequiredService<NotificationListener>());
        services.AddHostedService<MessagePump>();
        services.AddHostedService<ReminderPump>();
        services.AddHostedService<ActivityPump>();
        return services;
    }
}
