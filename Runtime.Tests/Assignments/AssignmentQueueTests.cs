using Microsoft.Extensions.DependencyInjection;
using Runtime.Grains.Assignments;
using Runtime.Tests.Engine;
using Runtime.Tests.Infrastructure;
using Xunit;

namespace Runtime.Tests.Assignments;

/// <summary>The agents' side of the assignments a grain queued: claims by environment, leases, completion.</summary>
public sealed class AssignmentQueueTests(EngineCluster engine) : IClassFixture<EngineCluster>
{
    private AssignmentQueue Queue => engine.Database.Services.GetRequiredService<AssignmentQueue>();

    // Queued by a grain, and claimable once its call's state is written.
    private async Task<Guid> AssignAsync(string probe, string environment, string workload)
    {
        var id = await engine.Cluster.Client.GetGrain<IProbeGrain>(probe).Queue(environment, workload, refuse: false);
        await Eventually.Get(() => Queue.StatusAsync(id), s => s == AssignmentStatus.Pending, TimeSpan.FromSeconds(20), "the assignment to be released");
        return id;
    }

    [Fact]
    public async Task Assignment_IsClaimedOnlyByAnAgentOfItsEnvironment()
    {
        var environment = "env-" + Guid.NewGuid();
        var id = await AssignAsync("assign-" + Guid.NewGuid(), environment, "w1");

        Assert.Empty(await Queue.ClaimAsync("other-" + Guid.NewGuid(), "agent-x", 10, TimeSpan.FromSeconds(30)));
        var claimed = Assert.Single(await Queue.ClaimAsync(environment, "agent-a", 10, TimeSpan.FromSeconds(30)));

        Assert.Equal(id, claimed.Id);
        Assert.Equal("w1", claimed.WorkloadId);
        Assert.Equal("start", claimed.Kind);
        Assert.Equal(1, claimed.Attempt);
        Assert.StartsWith("assign-", claimed.Spec.GetProperty("probe").GetString());
        Assert.Equal(AssignmentStatus.Claimed, await Queue.StatusAsync(id));
    }

    [Fact]
    public async Task ConcurrentClaims_NeverHandTheSameAssignmentToTwoAgents()
    {
        var environment = "env-" + Guid.NewGuid();
        var probe = "many-" + Guid.NewGuid();
        for (var i = 0; i < 30; i++)
            await AssignAsync(probe, environment, $"w{i}");

        var claims = await Task.WhenAll(Enumerable.Range(0, 6).Select(a => Queue.ClaimAsync(environment, $"agent-{a}", 10, TimeSpan.FromSeconds(30))));
        var ids = claims.SelectMany(c => c).Select(a => a.Id).ToList();

        Assert.Equal(30, ids.Count);
        Assert.Equal(30, ids.Distinct().Count());
    }

    [Fact]
    public async Task ExpiredLease_MakesTheAssignmentClaimableAgain()
    {
        var environment = "env-" + Guid.NewGuid();
        var id = await AssignAsync("lease-" + Guid.NewGuid(), environment, "w");

        Assert.Single(await Queue.ClaimAsync(environment, "agent-dead", 10, TimeSpan.FromMilliseconds(300)));
        Assert.Empty(await Queue.ClaimAsync(environment, "agent-live", 10, TimeSpan.FromSeconds(30)));
        await Task.Delay(500);
        var again = Assert.Single(await Queue.ClaimAsync(environment, "agent-live", 10, TimeSpan.FromSeconds(30)));

        Assert.Equal(id, again.Id);
        Assert.Equal(2, again.Attempt);
        Assert.False(await Queue.CompleteAsync(id, "agent-dead", true, null));
        Assert.False(await Queue.RenewAsync(id, "agent-dead", TimeSpan.FromSeconds(30)));
        Assert.True(await Queue.RenewAsync(id, "agent-live", TimeSpan.FromSeconds(30)));
        Assert.True(await Queue.CompleteAsync(id, "agent-live", true, null));
        Assert.Equal(AssignmentStatus.Completed, await Queue.StatusAsync(id));
    }

    [Fact]
    public async Task CompletedAssignment_IsNotClaimedAgain()
    {
        var environment = "env-" + Guid.NewGuid();
        var id = await AssignAsync("done-" + Guid.NewGuid(), environment, "w");
        Assert.Single(await Queue.ClaimAsync(environment, "agent", 10, TimeSpan.FromMilliseconds(100)));
        Assert.True(await Queue.CompleteAsync(id, "agent", false, System.Text.Json.JsonSerializer.SerializeToElement(new { error = "boom" })));
        await Task.Delay(200);

        Assert.Empty(await Queue.ClaimAsync(environment, "agent", 10, TimeSpan.FromSeconds(30)));
        Assert.Equal(AssignmentStatus.Failed, await Queue.StatusAsync(id));
    }
}
