using Runtime.Execution.Docker;
using Xunit;

namespace Runtime.Tests.Infrastructure;

/// <summary>
/// A test that needs a Docker engine: skipped when none answers, unless <c>RUNTIME_REQUIRE_DOCKER=1</c> (CI
/// sets it after installing and starting dockerd), in which case it runs and fails without an engine.
/// </summary>
public sealed class DockerFactAttribute : FactAttribute
{
    public DockerFactAttribute()
    {
        if (!Required && Engine.Value.Reason is { } reason)
            Skip = $"No Docker engine: {reason} (set RUNTIME_REQUIRE_DOCKER=1 to run and fail instead)";
    }

    public static bool Required => Environment.GetEnvironmentVariable("RUNTIME_REQUIRE_DOCKER") == "1";

    // Asked once per test run, at discovery, off any synchronization context the runner may have.
    private static readonly Lazy<DockerEngineStatus> Engine = new(() => Task.Run(async () =>
    {
        using var engine = new DockerEngine();
        return await engine.CheckAsync();
    }).GetAwaiter().GetResult());
}
