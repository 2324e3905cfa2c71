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

    [Fact]
    public async Task Adopting_a_finished_start_moves_a_stop_waiting_for_its_previous_agent_to_the_adopter()
    {
        var environment = "env-" + Guid.NewGuid();
        var id = await AssignAsync("adopt-" + Guid.NewGuid(), environment, "w");
        Assert.Single(await Queue.ClaimAsync(environment, "agent-gone", 10, TimeSpan.FromSeconds(30)));
        Assert.True(await Queue.CompleteAsync(id, "agent-gone", true, null));
        // Sent while no agent ran the workload: to the queue of the agent that had claimed the start.
        var stop = Guid.NewGuid();
        Assert.Equal(1, await engine.Database.ScalarAsync<int>("""
            INSERT INTO assignments (id, environment_id, workload_id, kind, spec, grain_type, grain_key, available_at)
            VALUES ($1, $2, 'w', 'stop', jsonb_build_object('assignmentId', $3::text), 'probe', 'p', now()) RETURNING 1
            """, stop, $"{environment}@agent-gone", id.ToString("D")));

        Assert.False(await Queue.AdoptAsync(id, "agent-next", attempt: 2)); // another claim's start: not this one
        Assert.True(await Queue.AdoptAsync(id, "agent-next", attempt: 1));

        Assert.Empty(await Queue.ClaimAsync($"{environment}@agent-gone", "agent-gone", 10, TimeSpan.FromSeconds(30)));
        Assert.Equal(stop, Assert.Single(await Queue.ClaimAsync($"{environment}@agent-next", "agent-next", 10, TimeSpan.FromSeconds(30))).Id);
    }
}
