using Runtime.Agent.Gateway;
using Runtime.Agent.Hosting;
using Runtime.Agent.Logs;
using Runtime.Agent.Loops;
using Runtime.Agent.Resources;
using Runtime.Agent.Workloads;
using Runtime.Execution.Python;
using Runtime.Execution.Supervision;

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
        services.AddSingleton<WorkloadPreparation>();
        services.AddSingleton<WorkloadRegistry>();
        services.AddSingleton<AppWorkloads>();
        services.AddSingleton<RunWorkloads>();
        services.AddSingleton(_ => new ResourceMeter(settings.DataDirectory));
        services.AddSingleton<AgentConnection>();

        // Started in this order and stopped in reverse: logs are shipped until the very end; recorded
        // workloads are taken over before the first heartbeat lists what the agent runs.
        services.AddHostedService(sp => sp.GetRequiredService<LogUploader>());
        services.AddHostedService<WorkloadAdoption>();
        services.AddHostedService<HeartbeatLoop>();
        services.AddHostedService<AssignmentLoop>();
        return builder;
    }
}
