using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Runtime.Grains;
using Runtime.Grains.Activities;
using Runtime.Grains.Hosting;

namespace Runtime.Tests.Infrastructure;

/// <summary>The grain runtime as the tests configure it: Runtime's grains plus the test grains.</summary>
public static class TestRuntime
{
    /// <summary>A master key made for this test run; declared first, since the settings below use it.</summary>
    public static string MasterKey { get; } = Convert.ToBase64String(System.Security.Cryptography.RandomNumberGenerator.GetBytes(32));

    /// <summary>Settings of every test process: heartbeats, sweeps and failure detection quick enough to watch in a test.</summary>
    public static IReadOnlyDictionary<string, string?> FastDelivery { get; } = new Dictionary<string, string?>
    {
        ["Runtime:Delivery:HeartbeatInterval"] = "00:00:00.500",
        ["Runtime:Delivery:SiloDeadAfter"] = "00:00:02",
        // What a killed silo left undelivered or due is found within about two seconds.
        ["Runtime:Outbox:SweepInterval"] = "00:00:01",
        ["Runtime:Outbox:Grace"] = "00:00:01",
        ["Orleans:Gateway:GatewayListRefreshPeriod"] = "00:00:01",
        // Several silos share the test process and its two cores: slower to suspect than production's defaults.
        ["Orleans:Membership:ProbeTimeout"] = "00:00:02",
        ["Orleans:Membership:MaxProbeTimeout"] = "00:00:02",
        ["Orleans:Membership:NumMissedProbesLimit"] = "3",
        // Every process of a test shares one master key, as every process of an installation does.
        ["Runtime:Secrets:MasterKey"] = MasterKey,
        ["Runtime:Git:AllowLocalRepositories"] = "true",
        // The built-in default Python environment is Debian's interpreter, which has Flask.
        ["Runtime:Agent:Python"] = "/usr/bin/python3",
        ["Runtime:Agent:ReadinessTimeout"] = "00:00:08",
        ["Runtime:Agent:ProbeInterval"] = "00:00:00.500",
        ["Runtime:Uploads:MaxBytes"] = "1048576",
        ["Runtime:Agent:ProbeFailures"] = "2",
        ["Runtime:Agent:MaxRestarts"] = "2",
        ["Runtime:Agent:RestartBackoff"] = "00:00:00.100",
        // An environment is Offline two seconds after its agent's last heartbeat.
        ["Runtime:Environments:OfflineAfter"] = "00:00:02",
        ["Runtime:Environments:RunStartDeadline"] = "00:00:03",
        ["Runtime:DataDirectory"] = Path.Combine(Path.GetTempPath(), $"runtime-test-data-{Environment.ProcessId}"),
    };

    public static IServiceCollection AddTestGrains(this IServiceCollection services)
    {
        services.AddActivity<Engine.ProbeWork, Engine.ProbeWorkActivity>();
        return services;
    }

    /// <summary>Runtime's services (stores, blobs, git) against <paramref name="connectionString"/>, without a silo.</summary>
    public static ServiceProvider Client(string connectionString, string applicationName = "runtime-tests")
    {
        var configuration = new ConfigurationBuilder()
            .AddInMemoryCollection(FastDelivery)
            .AddInMemoryCollection(new Dictionary<string, string?> { ["ConnectionStrings:runtime"] = connectionString })
            .Build();
        return new ServiceCollection()
            .AddSingleton<IConfiguration>(configuration)
            .AddLogging()
            .AddRuntimeGrains(applicationName)
            .AddTestGrains()
            .BuildServiceProvider();
    }

    /// <summary>The environment a child process (test silo, caller) needs to reach the same database quickly.</summary>
    public static Dictionary<string, string> ChildEnvironment(string connectionString, string? siloName = null)
    {
        var environment = FastDelivery.ToDictionary(p => p.Key.Replace(":", "__"), p => p.Value!);
        environment["ConnectionStrings__runtime"] = connectionString;
        environment["RUNTIME_PARENT_PID"] = Environment.ProcessId.ToString();
        if (siloName is not null)
            environment["Runtime__Silo__Name"] = siloName;
        return environment;
    }
}
