using Aspire.Hosting;
using Aspire.Hosting.ApplicationModel;
using Microsoft.Extensions.Configuration;
using Runtime.AppHost.Postgres;
using Runtime.Execution.Processes;
using Runtime.Grains.Cluster;
using Runtime.Grains.Storage;

namespace Runtime.AppHost.Hosting;

/// <summary>Runtime's resources: its database, the Orleans cluster of silos, and the Api as the cluster's client.</summary>
internal static class RuntimeResources
{
    public const string TokenFileName = "owner-token";

    public static async Task AddRuntimeAsync(this IDistributedApplicationBuilder builder, AppHostOptions options)
    {
        var dataDirectory = Path.GetFullPath(options.DataDirectory);
        Directory.CreateDirectory(dataDirectory);

        IResourceBuilder<IResourceWithConnectionString> database;
        if (string.IsNullOrWhiteSpace(builder.Configuration.GetConnectionString(RuntimeDatabase.ConnectionStringName)))
            database = await builder.AddEmbeddedPostgresAsync("postgres", dataDirectory, options.PostgresBin);
        else
        {
            Console.WriteLine($"Using the PostgreSQL server named by ConnectionStrings__{RuntimeDatabase.ConnectionStringName}; starting none");
            database = builder.AddConnectionString(RuntimeDatabase.ConnectionStringName);
        }
        database.WithOrleansProviderType("AdoNet");

        var orleans = builder.AddOrleans("cluster")
            // A fresh cluster per start: rows of silos that died with the last run would otherwise hold the
            // new silos back while they try to reach them (28-60 s). The service, and so its reminders, stays.
            .WithClusterId($"runtime-{DateTime.UtcNow:yyyyMMddHHmmss}-{Random.Shared.Next(0x10000):x4}")
            .WithServiceId(ClusterConfiguration.ClientDefaults["Orleans:ServiceId"]!)
            .WithClustering(database)
            .WithGrainStorage(ClusterConfiguration.StorageName, database)
            .WithReminders(database);

        var port = ChoosePort(options);
        var apiUrl = $"http://127.0.0.1:{port}";

        // One resource per silo (silo-1 … silo-N), each with its name, its ports and its health in the dashboard.
        for (var i = 1; i <= options.Silos; i++)
        {
            var name = $"silo-{i}";
            var silo = builder.AddHost(name, "Runtime.Silo.dll", database, dataDirectory, apiUrl)
                .WithReference(orleans)
                .WithEnvironment("Runtime__Silo__Name", name)
                .WithHttpEndpoint(name: "http")
                .WithHttpHealthCheck("/health");
            silo.WithEnvironment("ASPNETCORE_URLS", ReferenceExpression.Create($"http://127.0.0.1:{silo.GetEndpoint("http").Property(EndpointProperty.TargetPort)}"));
        }

        var api = builder.AddHost("api", "Runtime.Api.dll", database, dataDirectory, apiUrl)
            .WithReference(orleans.AsClient())
            .WithHttpEndpoint(port: port, targetPort: port, name: "http", isProxied: false)
            .WithEnvironment("ASPNETCORE_URLS", apiUrl)
            .WithHttpHealthCheck("/health");

        var banner = new Banner(apiUrl, Path.Combine(dataDirectory, TokenFileName));
        builder.Eventing.Subscribe<ResourceReadyEvent>(api.Resource, (_, _) =>
        {
            banner.Print(Console.Out);
            return Task.CompletedTask;
        });
    }

    // A silo or the Api, run from its dll beside ours, with what every host shares: the database (waited
    // for when it is ours), the data directory (agents' workloads, the master key, the Owner token), where
    // runs post their reports, and OpenTelemetry to the dashboard.
    private static IResourceBuilder<ExecutableResource> AddHost(this IDistributedApplicationBuilder builder, string name, string dll,
        IResourceBuilder<IResourceWithConnectionString> database, string dataDirectory, string apiUrl)
    {
        var path = Path.Combine(AppContext.BaseDirectory, dll);
        if (!File.Exists(path))
            throw new FileNotFoundException($"{dll} is missing next to the AppHost ({AppContext.BaseDirectory}); rebuild the solution.", path);
        var host = builder.AddExecutable(name, DotnetHost.Path, Environment.CurrentDirectory, path)
            .WithReference(database, RuntimeDatabase.ConnectionStringName)
            .WithEnvironment("Runtime__DataDirectory", dataDirectory)
            .WithEnvironment("Runtime__Api__Url", apiUrl)
            .WithOtlpExporter();
        if (database.Resource is PostgresServerResource)
            host.WaitFor(database);
        return host;
    }

    private static int ChoosePort(AppHostOptions options)
    {
        if (options.Port is { } port)
            return port == 0 ? FreePort.Next() : port;
        if (FreePort.IsFree(AppHostOptions.DefaultPort))
            return AppHostOptions.DefaultPort;
        var free = FreePort.Next();
        Console.WriteLine($"Port {AppHostOptions.DefaultPort} is taken; the Api uses {free} instead (choose one with --port)");
        return free;
    }
}
