using Runtime.Agent.Gateway;
using Runtime.Agent.Hosting;
using Runtime.Agent.Logs;
using Runtime.Agent.Loops;
using Runtime.Agent.Resources;
using Runtime.Execution.Agents;
using Runtime.Execution.Python;
using Runtime.Execution.Supervision;
using Runtime.Execution.Workloads;

namespace Runtime.Agent.Extensions;

/// <summary>The remote agent's services and loops.</summary>
internal static class AgentExtensions
{
    public static IHostApplicationBuilder AddRuntimeAgent(this IHostApplicationBuilder builder, AgentSettings settings)
    {
        var services = builder.Services;
        services.AddOptions<AgentOptions>().BindConfiguration(AgentOptions.Section);
        // Time for runs to end and logs to be shipped; apps are left running, so nothing else waits.
        services.Configure<HostOptions>(o => o.ShutdownTimeout = TimeSpan.FromSeconds(20));

        services.AddSingleton(settings);
        services.AddSingleton(TimeProvider.System);
        services.AddSingleton(sp => AgentIdentity.Load(settings.DataDirectory, sp.GetRequiredService<TimeProvider>()));
        services.AddSingleton(sp => new GatewayClient(settings, sp.GetRequiredService<AgentIdentity>().Id));
        services.AddSingleton<Reporter>();
        services.AddSingleton<LogUploader>();
        services.AddSingleton(sp => new ArchiveCache(sp.GetRequiredService<GatewayClient>(), settings.Archives));
        services.AddSingleton(_ => new VenvBuilder(settings.Venvs));
        services.AddSingleton<GatewayChannel>();
        services.AddSingleton(sp => settings.ForRunner(sp.GetRequiredService<AgentIdentity>().Id));
        services.AddSingleton(sp => ExecutionOptions.Read(sp.GetRequiredService<Microsoft.Extensions.Configuration.IConfiguration>()));
        // Asked once at start whether a Docker engine answers; containers are labelled with this agent's identity, which outlives restarts.
        services.AddSingleton(sp => WorkloadExecutors.CreateAsync(sp.GetRequiredService<ExecutionOptions>(), $"agent/{sp.GetRequiredService<AgentIdentity>().Id:D}",
            sp.GetRequiredService<ILoggerFactory>(), CancellationToken.None).GetAwaiter().GetResult());
        services.AddSingleton(sp => new AgentRunner(sp.GetRequiredService<GatewayChannel>(), sp.GetRequiredService<RunnerSettings>(),
            sp.GetRequiredService<WorkloadExecutors>(), sp.GetRequiredService<VenvBuilder>(), sp.GetRequiredService<IOptions<AgentOptions>>().Value, sp.GetRequiredService<TimeProvider>(),
            sp.GetRequiredService<ILogger<AgentRunner>>()));
        services.AddSingleton(_ => new ResourceMeter(settings.DataDirectory));
        services.AddSingleton<AgentConnection>();

        // Started in this order and stopped in reverse: logs are shipped until the very end; recorded
        // workloads are taken over before the first heartbeat lists what the agent runs.
        services.AddHostedService(sp => sp.GetRequiredService<LogUploader>());
        services.AddHostedService<RunnerLifetime>();
        services.AddHostedService<HeartbeatLoop>();
        services.AddHostedService<AssignmentLoop>();
        return builder;
    }
}
