using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Runtime.Grains;
using Runtime.Grains.Environments;
using Runtime.Grains.Hosting;
using Runtime.Tests.Infrastructure;
using Xunit;

namespace Runtime.Tests.Environments;

/// <summary>The environment grain's status history and flapping warning, on a clock the test moves.</summary>
public sealed class EnvironmentFlappingTests(TestDatabase database) : IClassFixture<TestDatabase>
{
    private sealed class ManualTime(DateTimeOffset start) : TimeProvider
    {
        public DateTimeOffset Now { get; set; } = start;

        public override DateTimeOffset GetUtcNow() => Now;
    }

    private static AgentBeat Beat(Guid agent) => new(agent, "1.0", "edge", DateTimeOffset.UnixEpoch, new AgentResources(1, 1, 2, 1, 2), [], null);

    [Fact]
    public async Task ThreeTransitionsInTenMinutes_RaiseTheFlappingWarning_WhichClearsOnceTheyAreOlder()
    {
        var clock = new ManualTime(new DateTimeOffset(2026, 11, 23, 12, 0, 0, TimeSpan.Zero));
        await using var silo = await TestSilo.StartGrainHostAsync(database.ConnectionString, "silo-flapping",
            new Dictionary<string, string?> { ["Runtime:Environments:OfflineAfter"] = "00:00:30" }, clock);
        var environment = silo.Services.GetRequiredService<Orleans.IGrainFactory>().GetGrain<IEnvironmentGrain>(Guid.NewGuid());
        await environment.Create(new NewEnvironment(Guid.NewGuid(), Guid.NewGuid(), "flaky-link", null, null, "hash-" + Guid.NewGuid()));
        var agent = Guid.NewGuid();

        // Online, then a check before the threshold changes nothing.
        await environment.Heartbeat(Beat(agent));
        clock.Now += TimeSpan.FromSeconds(20);
        await environment.CheckHeartbeat();
        Assert.Equal(EnvironmentStatus.Online, (await environment.Get()).Status);
        Assert.Null((await environment.Get()).Warning);

        // Past the threshold: Offline; back, and gone again, all within ten minutes.
        clock.Now += TimeSpan.FromSeconds(11);
        await environment.CheckHeartbeat();
        Assert.Equal(EnvironmentStatus.Offline, (await environment.Get()).Status);
        clock.Now += TimeSpan.FromMinutes(2);
        await environment.Heartbeat(Beat(agent));
        clock.Now += TimeSpan.FromMinutes(1);
        await environment.CheckHeartbeat();

        var flapping = await environment.Get();
        Assert.Equal(EnvironmentStatus.Offline, flapping.Status);
        Assert.Equal(4, flapping.Transitions.Count);
        Assert.Equal([EnvironmentStatus.Offline, EnvironmentStatus.Online, EnvironmentStatus.Offline, EnvironmentStatus.Online], flapping.Transitions.Select(t => t.To));
        Assert.StartsWith("flapping: 4 status changes in the last 10 minutes", flapping.Warning);

        // Ten quiet minutes later the history stays, the warning does not.
        clock.Now += TimeSpan.FromMinutes(10);
        var quiet = await environment.Get();
        Assert.Null(quiet.Warning);
        Assert.Equal(4, quiet.Transitions.Count);
    }

    [Fact]
    public async Task TwoTransitions_AreNotFlapping()
    {
        var clock = new ManualTime(DateTimeOffset.UtcNow);
        await using var silo = await TestSilo.StartGrainHostAsync(database.ConnectionString, "silo-flapping", null, clock);
        var environment = silo.Services.GetRequiredService<Orleans.IGrainFactory>().GetGrain<IEnvironmentGrain>(Guid.NewGuid());
        await environment.Create(new NewEnvironment(Guid.NewGuid(), Guid.NewGuid(), "steady-link", null, null, "hash-" + Guid.NewGuid()));
        await environment.Heartbeat(Beat(Guid.NewGuid()));
        clock.Now += TimeSpan.FromSeconds(31);
        await environment.CheckHeartbeat();
        var view = await environment.Get();
        Assert.Equal(2, view.Transitions.Count);
        Assert.Null(view.Warning);
    }
}
