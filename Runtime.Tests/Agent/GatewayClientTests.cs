using System.Net;
using Runtime.Agent.Gateway;
using Runtime.Execution.Agents;
using Xunit;

namespace Runtime.Tests.Agent;

public sealed class GatewayClientTests
{
    private static AgentHeartbeat Heartbeat(Guid agent) =>
        new(agent, "1.0", DateTimeOffset.UtcNow, "host", new ResourceUsage(1, 2, 3, 4, 5), []);

    [Fact]
    public async Task Every_request_carries_the_token_and_the_agent_id()
    {
        await using var gateway = await FakeGateway.StartAsync();
        var agent = Guid.NewGuid();
        using var client = gateway.Client(agent);

        var answer = await client.HeartbeatAsync(Heartbeat(agent), CancellationToken.None);

        Assert.Equal("edge", answer.Environment);
        var request = Assert.Single(gateway.Requests);
        Assert.Equal(AgentGateway.Heartbeat, request.Path);
        Assert.Equal("Bearer re_test-token", request.Authorization);
        Assert.Equal(agent.ToString("D"), request.AgentId);
    }

    [Fact]
    public async Task A_409_is_a_conflict_with_the_Apis_title_in_its_message()
    {
        await using var gateway = await FakeGateway.StartAsync();
        gateway.HeartbeatStatus = HttpStatusCode.Conflict;
        using var client = gateway.Client();

        var error = await Assert.ThrowsAsync<GatewayException>(() => client.HeartbeatAsync(Heartbeat(client.AgentId), CancellationToken.None));

        Assert.True(error.IsConflict);
        Assert.False(error.IsTransient);
        Assert.Contains("Another agent holds this environment", error.Message);
    }

    [Fact]
    public async Task A_refused_token_is_worth_trying_again()
    {
        await using var gateway = await FakeGateway.StartAsync();
        gateway.HeartbeatStatus = HttpStatusCode.Unauthorized;
        using var client = gateway.Client();

        var error = await Assert.ThrowsAsync<GatewayException>(() => client.HeartbeatAsync(Heartbeat(client.AgentId), CancellationToken.None));

        Assert.True(error.IsTokenRefused);
        Assert.True(error.IsTransient);
        Assert.DoesNotContain("re_test-token", error.Message);
    }

    [Fact]
    public void Backoff_doubles_from_one_second_to_thirty_and_starts_over_after_a_success()
    {
        var backoff = new Backoff();
        Assert.Equal([1, 2, 4, 8, 16, 30, 30], Enumerable.Range(0, 7).Select(_ => backoff.Next().TotalSeconds));
        backoff.Reset();
        Assert.Equal(1, backoff.Next().TotalSeconds);
    }
}
