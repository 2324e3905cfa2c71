using Runtime.Execution.Processes;

namespace Runtime.AppHost.Hosting;

/// <summary>
/// The dashboard's fixed ports (the <c>http</c> launch profile) move to free ones when another program,
/// such as a second Runtime on the same machine, holds them; the dashboard's link is printed either way.
/// </summary>
internal static class DashboardPorts
{
    private static readonly string[] Variables = ["ASPNETCORE_URLS", "ASPIRE_DASHBOARD_OTLP_ENDPOINT_URL", "ASPIRE_RESOURCE_SERVICE_ENDPOINT_URL"];

    public static void MoveTakenOnes()
    {
        foreach (var variable in Variables)
        {
            if (!Uri.TryCreate(Environment.GetEnvironmentVariable(variable), UriKind.Absolute, out var url) || url.Port <= 0 || FreePort.IsFree(url.Port))
                continue;
            Environment.SetEnvironmentVariable(variable, new UriBuilder(url) { Port = FreePort.Next() }.Uri.ToString().TrimEnd('/'));
        }
    }
}
