using Runtime.Execution.Agents;

namespace Runtime.Agent.Loops;

/// <summary>
/// At start-up, before the first heartbeat: the workloads this agent recorded before it restarted are taken over
/// (still running), started again (apps whose process is gone) or reported ended (runs whose process is gone),
/// so the first heartbeat already lists them. At shutdown the runner leaves them running.
/// </summary>
internal sealed class RunnerLifetime(AgentRunner runner) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken) => runner.AdoptOrphansAsync(cancellationToken);

    public Task StopAsync(CancellationToken cancellationToken) => runner.ShutdownAsync();
}
