namespace Runtime.ServiceDefaults;

/// <summary>
/// The activity sources and meters that no instrumentation package subscribes to: Orleans' own and
/// Runtime's. ASP.NET Core, HttpClient, the .NET runtime and Npgsql come from their instrumentation packages.
/// </summary>
public static class TelemetrySources
{
    /// <summary>Orleans' grain calls (they carry the grain id) and every <c>Runtime.*</c> source.</summary>
    public static readonly string[] ActivitySources = ["Microsoft.Orleans.Runtime", "Microsoft.Orleans.Application", "Runtime.*"];

    /// <summary>Orleans' meter and every <c>Runtime.*</c> meter.</summary>
    public static readonly string[] Meters = ["Microsoft.Orleans", "Runtime.*"];
}
