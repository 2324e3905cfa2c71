using System.Net;
using Npgsql;
using Orleans.Configuration;
using Orleans.Hosting;
using Orleans.Storage;
using Runtime.Execution.Processes;
using Runtime.Grains.Cluster;
using Runtime.Grains.Engine;

namespace Runtime.Silo.Extensions;

/// <summary>This process as an Orleans silo: ADO.NET clustering, grain storage and reminders on the runtime database.</summary>
public static class ClusterExtensions
{
    public static WebApplicationBuilder AddRuntimeCluster(this WebApplicationBuilder builder)
    {
        builder.Configuration.AddClusterDefaults(silo: true);
        var endpoints = builder.Configuration.GetSection("Orleans:Endpoints");
        // Several silos share a laptop: unless told otherwise, each takes free loopback ports.
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Orleans:Endpoints:SiloPort"] = endpoints["SiloPort"] ?? FreePort.Next().ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["Orleans:Endpoints:GatewayPort"] = endpoints["GatewayPort"] ?? FreePort.Next().ToString(System.Globalization.CultureInfo.InvariantCulture),
        });
        var advertised = endpoints["AdvertisedIPAddress"] is { Length: > 0 } address ? IPAddress.Parse(address) : IPAddress.Loopback;

        builder.UseOrleans(silo =>
        {
            silo.Services.Configure<ClusterMembershipOptions>(builder.Configuration.GetSection("Orleans:Membership"));
            silo.Services.Configure<EndpointOptions>(o => o.AdvertisedIPAddress = advertised);
            silo.Services.AddOptions<AdoNetGrainStorageOptions>(ClusterConfiguration.StorageName).Configure(o =>
            {
                o.GrainStorageSerializer = new GrainStateSerializer();
                // A deleted grain leaves no row behind (its state table's lists must not show it).
                o.DeleteStateOnClear = true;
            });
            UseRuntimeDataSource(silo.Services);
            silo.AddIncomingGrainCallFilter<DatabaseOutageFilter>();
            silo.AddActivityPropagation();
        });
        builder.Services.AddOptions<OutboxOptions>().BindConfiguration(OutboxOptions.Section);
        builder.Services.AddOptions<Runtime.Grains.Reminders.ReminderOptions>().BindConfiguration(Runtime.Grains.Reminders.ReminderOptions.Section);
        builder.Services.AddSingleton<OutboxSweeper>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<OutboxSweeper>());
        return builder;
    }

    // Orleans' ADO.NET providers talk through the process's one data source rather than a connection
    // string of their own: its pool, its application name, and Npgsql's auto-prepared statements, so
    // the storage, reminder and membership queries issued all day are parsed and planned once per connection.
    private static void UseRuntimeDataSource(IServiceCollection services)
    {
        services.AddOptions<AdoNetGrainStorageOptions>(ClusterConfiguration.StorageName).PostConfigure<NpgsqlDataSource>((o, database) => (o.ConnectionString, o.DataSource) = (null, database));
        services.AddOptions<AdoNetReminderTableOptions>().PostConfigure<NpgsqlDataSource>((o, database) => (o.ConnectionString, o.DataSource) = (null, database));
        services.AddOptions<AdoNetClusteringSiloOptions>().PostConfigure<NpgsqlDataSource>((o, database) => (o.ConnectionString, o.DataSource) = (null, database));
    }
}
