using Orleans;
using Orleans.Hosting;
using Runtime.Grains.Cluster;

namespace Runtime.Api.Cluster;

/// <summary>The Api as an Orleans client of the silos' cluster (DESIGN §2): it calls grains, it hosts none.</summary>
public static class ClusterClientExtensions
{
    public static WebApplicationBuilder AddRuntimeClusterClient(this WebApplicationBuilder builder)
    {
        builder.Configuration.AddClusterDefaults(silo: false);
        builder.Services.AddOptions<ClusterConnectOptions>().BindConfiguration(ClusterConnectOptions.Section);
        builder.UseOrleansClient(client =>
        {
            client.Services.Configure<Orleans.Configuration.GatewayOptions>(builder.Configuration.GetSection("Orleans:Gateway"));
            client.AddActivityPropagation();
            client.UseConnectionRetryFilter<ClusterConnectRetry>();
        });
        return builder;
    }
}

/// <summary>How long the Api waits at start-up for a silo to take its connection (<c>Runtime:Cluster</c>).</summary>
public sealed class ClusterConnectOptions
{
    public const string Section = "Runtime:Cluster";

    /// <summary>Silos and the Api start together, and a silo takes a few seconds to join; a minute covers a slow machine.</summary>
    public TimeSpan ConnectTimeout { get; set; } = TimeSpan.FromMinutes(1);
}

/// <summary>Keeps trying to reach the cluster until <see cref="ClusterConnectOptions.ConnectTimeout"/>, then lets the start fail with Orleans' reason.</summary>
internal sealed partial class ClusterConnectRetry(Microsoft.Extensions.Options.IOptions<ClusterConnectOptions> options, TimeProvider time, ILogger<ClusterConnectRetry> logger)
    : IClientConnectionRetryFilter
{
    private DateTimeOffset? _deadline;

    public async Task<bool> ShouldRetryConnectionAttempt(Exception exception, CancellationToken cancellationToken)
    {
        _deadline ??= time.GetUtcNow() + options.Value.ConnectTimeout;
        if (time.GetUtcNow() >= _deadline)
        {
            LogGaveUp(options.Value.ConnectTimeout, exception.Message);
            return false;
        }
        LogWaiting(exception.Message);
        await Task.Delay(TimeSpan.FromMilliseconds(500), time, cancellationToken);
        return true;
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "No silo answers yet ({Reason}); trying again")]
    private partial void LogWaiting(string reason);

    [LoggerMessage(Level = LogLevel.Error, Message = "No silo answered within {Timeout}: {Reason}. Start a silo (dotnet run --project Runtime.Silo) with the same database and Orleans:ClusterId")]
    private partial void LogGaveUp(TimeSpan timeout, string reason);
}
