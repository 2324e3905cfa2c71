using Aspire.Hosting;
using Runtime.AppHost.Hosting;
using Runtime.AppHost.Postgres;

namespace Runtime.AppHost;

/// <summary><c>dotnet run --project Runtime.AppHost</c>: PostgreSQL, the silos, the Api and the Aspire dashboard on this machine.</summary>
internal static class Program
{
    public static async Task<int> Main(string[] args)
    {
        AppHostOptions options;
        try
        {
            options = AppHostOptions.Parse(args);
        }
        catch (ArgumentException e)
        {
            Console.Error.WriteLine(e.Message);
            Console.Error.WriteLine(AppHostOptions.Usage);
            return 2;
        }
        if (options.Help)
        {
            Console.WriteLine(AppHostOptions.Usage);
            return 0;
        }

        try
        {
            DashboardPorts.MoveTakenOnes();
            var builder = DistributedApplication.CreateBuilder([]);
            await builder.AddRuntimeAsync(options);
            await builder.Build().RunAsync();
            return 0;
        }
        catch (Exception e) when (e is PostgresException or FileNotFoundException)
        {
            Console.Error.WriteLine(e.Message);
            return 1;
        }
    }
}
