namespace Runtime.Grains.Environments;

/// <summary>
/// An execution target of a project served by a remote agent: its agent's identity and token, its
/// Online/Offline status from heartbeats with the history of transitions, and its retirement.
/// </summary>
[Orleans.Alias("environment")]
public interface IEnvironmentGrain : Orleans.IGrainWithGuidKey
{
    /// <summary>Creates it with its token's hash; the same create again (an idempotent retry) answers it as it is, not created.</summary>
    Task<CreatedEnvironment> Create(NewEnvironment environment);

    [Orleans.Concurrency.ReadOnly]
    Task<EnvironmentView> Get();

    Task<EnvironmentView> Update(EnvironmentUpdate update);

    /// <summary>Retires it: refused while its agent runs workloads, unless <paramref name="force"/>, which stops them first.</summary>
    Task<EnvironmentView> Retire(bool force);

    /// <summary>A new token (its hash given); the old one keeps working for <paramref name="grace"/> (null: the configured grace).</summary>
    Task<EnvironmentView> RotateToken(string tokenHash, TimeSpan? grace);

    /// <summary>No token works any more, the rotated-out one included.</summary>
    Task<EnvironmentView> RevokeToken();

    /// <summary>From the agent gateway: a heartbeat. A second agent while the first is Online is refused (and recorded).</summary>
    Task<HeartbeatOutcome> Heartbeat(AgentBeat beat);

    /// <summary>From itself, when the last heartbeat may be past the threshold: Offline if it is.</summary>
    Task CheckHeartbeat();

    /// <summary>From the agent gateway: a workload of this environment failed; kept for troubleshooting.</summary>
    Task WorkloadFailed(string workloadId, string reason);

    [Orleans.Concurrency.ReadOnly]
    Task<Troubleshooting> Troubleshoot();

    /// <summary>Asks the environment's agent to run <paramref name="checks"/> (a "check" assignment, JSON of the agent protocol's checks); answers the assignment's id.</summary>
    Task<Guid> Check(string checks);
}
