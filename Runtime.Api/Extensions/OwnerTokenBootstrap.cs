using Runtime.Grains.Identity;

namespace Runtime.Api.Extensions;

/// <summary>
/// On a new database, creates the default workspace and its Owner token and writes the token to
/// <c>&lt;Runtime:DataDirectory&gt;/owner-token</c> (0600). The AppHost normally did this already.
/// </summary>
internal sealed partial class OwnerTokenBootstrap(IdentityBootstrap bootstrap, IConfiguration configuration, ILogger<OwnerTokenBootstrap> logger) : IHostedService
{
    public const string TokenFileName = "owner-token";

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        var result = await bootstrap.EnsureAsync(cancellationToken);
        if (result.OwnerToken is null)
            return;
        var path = Path.Combine(configuration["Runtime:DataDirectory"] ?? ".runtime", TokenFileName);
        IdentityBootstrap.WriteTokenFile(path, result.OwnerToken);
        LogWritten(Path.GetFullPath(path));
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    [LoggerMessage(Level = LogLevel.Warning, Message = "The first Owner token was written to {Path} (readable by this user only)")]
    private partial void LogWritten(string path);
}
