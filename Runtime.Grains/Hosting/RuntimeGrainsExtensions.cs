using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Configuration;
using Runtime.Grains.Activities;
using Runtime.Grains.Identity;
using Runtime.Grains.Projects;
using Runtime.Grains.Secrets;
using Runtime.Grains.Tokens;
using Runtime.Grains.Workspaces;

namespace Runtime.Grains.Hosting;

/// <summary>Registers Runtime's own grains and their read sides.</summary>
public static class RuntimeGrainsExtensions
{
    public static IServiceCollection AddRuntimeGrains(this IServiceCollection services, string applicationName)
    {
        services.AddGrainRuntime(applicationName);
        // Announced: the Api caches token checks (tokens, members) and app routes (projects). Workspace
        // and token grains run on Orleans (their tables and announcements: migration 0013).
        services.AddOptions<Environments.EnvironmentOptions>().BindConfiguration(Environments.EnvironmentOptions.Section);
        services.TryAddSingleton<Environments.EnvironmentStore>();
        services.TryAddSingleton<Jobs.RunStore>();
        services.TryAddSingleton<Configurations.ConfigurationStore>();
        services.TryAddSingleton<Pipelines.PipelineStore>();
        services.AddActivity<FetchSource, FetchSourceActivity>();
        services.TryAddSingleton(sp => MasterKeys.Load(sp.GetRequiredService<IConfiguration>()));
        services.TryAddSingleton<SecretCipher>();
        services.TryAddSingleton<ProjectStore>();
        services.TryAddSingleton<PythonEnvironments.PythonEnvironmentStore>();
        services.TryAddSingleton<Logs.WorkloadLogStore>();
        services.TryAddSingleton<TokenStore>();
        services.TryAddSingleton<IdentityBootstrap>();
        return services;
    }
}
