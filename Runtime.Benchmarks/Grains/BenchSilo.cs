using Runtime.Grains.Hosting;
using System.Globalization;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.AspNetCore.Hosting;
using Orleans.Hosting;
using Runtime.ServiceDefaults;
using Runtime.Silo.Extensions;

namespace Runtime.Benchmarks.Grains;

/// <summary>
/// <c>grains-silo</c>: this benchmark's exe as an Orleans silo child process. A lighter host than
/// <c>AddRuntimeSilo</c>: only <see cref="ClusterExtensions.AddRuntimeCluster"/> (the real clustering,
/// storage, reminders and failure detection), without the home-grown runtime's delivery loops and the
/// embedded agent, whose background work would be noise in an engine measurement. The parent has
/// applied the migrations and checked Orleans' query keys before it starts any silo.
/// </summary>
internal static class BenchSilo
{
    public const string Mode = "grains-silo";

    public static async Task<int> RunAsync(string[] args)
    {
        var builder = WebApplication.CreateBuilder(args);
        builder.AddServiceDefaults();
        // The silo needs no HTTP endpoint; a free port keeps several silos from colliding on 5000.
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Logging:LogLevel:Default"] = "Warning",
        });
        // The grains' services (the data source, migrations check); the grains themselves are the benchmark's.
        builder.Services.AddRuntimeGrains("runtime-bench-silo");
        builder.AddRuntimeCluster();
        // The reminders measure asks for a 5 s period; Orleans' floor is 1 minute (0 is allowed, with a warning).
        builder.Services.Configure<ReminderOptions>(o => o.MinimumReminderPeriod = TimeSpan.FromSeconds(1));
        var app = builder.Build();
        await app.StartAsync();
        Console.WriteLine("silo started");
        await app.WaitForShutdownAsync();
        return 0;
    }

    /// <summary>The child's environment: the database, a fixed silo port (so the parent can tell which silo hosts a grain), its parent.</summary>
    public static Dictionary<string, string> Environment(string connectionString, string name, int siloPort) => new()
    {
        ["ConnectionStrings__runtime"] = connectionString,
        ["RUNTIME_PARENT_PID"] = System.Environment.ProcessId.ToString(CultureInfo.InvariantCulture),
        ["Orleans__Endpoints__SiloPort"] = siloPort.ToString(CultureInfo.InvariantCulture),
        ["Runtime__Silo__Name"] = name,
    };
}
