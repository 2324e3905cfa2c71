using Microsoft.Extensions.Configuration.Memory;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Runtime.ServiceDefaults;

/// <summary>One console log format for every host: a single line per entry with a UTC timestamp.</summary>
public static class LogDefaults
{
    public static TBuilder AddLogDefaults<TBuilder>(this TBuilder builder) where TBuilder : IHostApplicationBuilder
    {
        // Defaults first, so that appsettings and Logging__LogLevel__* environment variables override them.
        builder.Configuration.Sources.Insert(0, new MemoryConfigurationSource
        {
            InitialData = new Dictionary<string, string?>
            {
                ["Logging:LogLevel:Default"] = "Information",
                ["Logging:LogLevel:Microsoft.AspNetCore"] = "Warning",
                // Two Information lines per proxied request would cost more than the forwarding itself.
                ["Logging:LogLevel:Yarp"] = "Warning",
                // Orleans' placement runs through a Polly pipeline that logs two Information lines per new activation.
                ["Logging:LogLevel:Polly"] = "Warning",
            },
        });
        builder.Logging.ClearProviders();
        builder.Logging.AddSimpleConsole(options =>
        {
            options.SingleLine = true;
            options.UseUtcTimestamp = true;
            options.TimestampFormat = "yyyy-MM-ddTHH:mm:ss.fffZ ";
        });
        return builder;
    }
}
