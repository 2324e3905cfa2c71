using System.Runtime.InteropServices;
using Runtime.AppHost.Hosting;
using Runtime.AppHost.Postgres;
using Runtime.AppHost.Processes;

namespace Runtime.AppHost;

/// <summary><c>dotnet run --project Runtime.AppHost</c>: parses the command line and runs <see cref="LocalRuntime"/> until Ctrl+C.</summary>
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

        using var stopping = new CancellationTokenSource();
        void Stop(PosixSignalContext context)
        {
            context.Cancel = true;
            stopping.Cancel();
        }
        using var sigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, Stop);
        using var sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, Stop);

        try
        {
            return await new LocalRuntime(options, ConsoleOutput.Console).RunAsync(stopping.Token);
        }
        catch (Exception e) when (e is PostgresException or FileNotFoundException)
        {
            ConsoleOutput.Console.Line(LocalRuntime.Source, e.Message);
            return 1;
        }
    }
}
