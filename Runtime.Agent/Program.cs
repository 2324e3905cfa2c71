using Runtime.Agent.Extensions;
using Runtime.Agent.Hosting;
using Runtime.ServiceDefaults;

namespace Runtime.Agent;

/// <summary>
/// <c>runtime-agent</c>: runs one environment's apps and batch runs on this machine, dialling out to the Api
/// (heartbeats, long-poll claims, reports, logs). Exit code 2: the command line or environment is wrong.
/// </summary>
internal static class Program
{
    public static async Task<int> Main(string[] args)
    {
        if (args is ["--help" or "-h"])
        {
            Console.WriteLine(AgentArguments.Usage);
            return 0;
        }
        var (settings, error) = AgentArguments.Parse(args, Environment.GetEnvironmentVariable);
        if (settings is null)
        {
            Console.Error.WriteLine($"runtime-agent: {error} (runtime-agent --help shows the options)");
            return 2;
        }
        // Workloads inherit the agent's environment: the environment's token is not theirs to see.
        Environment.SetEnvironmentVariable(AgentArguments.TokenVariable, null);

        var builder = Host.CreateApplicationBuilder();
        builder.AddServiceDefaults();
        builder.AddRuntimeAgent(settings);
        using var host = builder.Build();
        await host.RunAsync();
        return 0;
    }
}
