using Runtime.Execution.Supervision;
using Runtime.Execution.Python;
using Runtime.Grains.Hosting;
using Runtime.Silo.Agent;

namespace Runtime.Silo.Extensions;

/// <summary>Wiring of a silo: Runtime's grains, the delivery loops and membership, health checks.</summary>
public static class SiloExtensions
{
    /// <summary>Where the silo listens for /health when nothing else is configured: any free loopback port.</summary>
    public const string DefaultUrl = "http://127.0.0.1:0";

    public static WebApplicationBuilder AddRuntimeSilo(this WebApplicationBuilder builder)
    {
        if (string.IsNullOrEmpty(builder.Configuration["urls"]) && string.IsNullOrEmpty(builder.Configuration["http_ports"]))
            builder.WebHost.UseUrls(DefaultUrl);

        var name = builder.Configuration["Runtime:Silo:Name"] ?? $"silo-{Environment.ProcessId}";
        builder.Services.AddRuntimeGrains("runtime-" + name);
        builder.Services.AddSiloMembership(name);
        builder.AddRuntimeCluster();
        builder.Services.AddOptions<AgentOptions>().BindConfiguration(AgentOptions.Section);
        builder.Services.AddSingleton(sp => new VenvBuilder(Path.Combine(AgentOptions.DataDirectory(sp.GetRequiredService<IConfiguration>()), "venvs")));
        builder.Services.AddSingleton<LogShipper>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<LogShipper>());
        builder.Services.AddSingleton<Runtime.Grains.Assignments.AgentWorkloads>();
        builder.Services.AddSingleton<InProcessChannel>();
        // The operator's execution settings (Runtime:Execution, or the seed's EXECUTION_* variables): bad ones stop the start, naming each.
        builder.Services.AddSingleton(sp => Runtime.Execution.Workloads.ExecutionOptions.Read(sp.GetRequiredService<IConfiguration>()));
        builder.Services.AddHostedService<EmbeddedAgent>();
        builder.Services.AddHostedService<Runtime.Grains.Jobs.LostRuns>();
        builder.Services.AddHealthChecks().AddDatabaseCheck()
            .AddCheck<Runtime.Execution.Docker.DockerHealthCheck>(Runtime.Execution.Docker.DockerHealthCheck.Name, Microsoft.Extensions.Diagnostics.HealthChecks.HealthStatus.Degraded);
        return builder;
    }
}
