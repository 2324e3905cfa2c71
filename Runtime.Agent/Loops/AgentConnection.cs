using Runtime.Execution.Agents;

namespace Runtime.Agent.Loops;

/// <summary>Whether the Api has taken a heartbeat yet (claims wait for it), and what it last answered.</summary>
internal sealed class AgentConnection
{
    private readonly TaskCompletionSource _connected = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Completes with the first heartbeat the Api took.</summary>
    public Task Connected => _connected.Task;

    public HeartbeatAnswer? LastAnswer { get; private set; }

    public void Accepted(HeartbeatAnswer answer)
    {
        LastAnswer = answer;
        _connected.TrySetResult();
    }
}
