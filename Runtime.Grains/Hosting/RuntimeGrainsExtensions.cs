using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Runtime.Grains.Identity;
using Runtime.Grains.Tokens;
using Runtime.Grains.Workspaces;

namespace Runtime.Grains.Hosting;

/// <summary>Registers Runtime's own grains and their read sides.</summary>
public static class RuntimeGrainsExtensions
{
    public static IServiceCollection AddRuntimeGrains(this IServiceCollection services, string applicationName)
    {
        services.AddGrainRuntime(applicationName);
        services.AddGrain<IWorkspaceGrain, WorkspaceGrain>("workspace", "workspaces");
        services.AddGrain<ITokenGrain, TokenGrain>("token", "api_tokens");
        services.TryAddSingleton<TokenStore>();
        services.TryAddSingleton<IdentityBootstrap>();
        return services;
    }
}
