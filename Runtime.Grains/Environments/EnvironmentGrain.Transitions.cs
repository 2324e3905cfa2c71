using Runtime.Grains.StateMachines;

namespace Runtime.Grains.Environments;

/// <summary>An environment's state machine, as data.</summary>
public sealed partial class EnvironmentGrain
{
    /// <summary>
    /// Offline until its agent heartbeats, Online until the agent falls silent; retired for good.
    /// Edits, token rotation and checks work whether or not the agent is there.
    /// </summary>
    public static readonly TransitionTable<EnvironmentStatus, EnvironmentOperation> Transitions = new TransitionTable<EnvironmentStatus, EnvironmentOperation>("environment")
        .Allow(EnvironmentStatus.Offline, EnvironmentOperation.Heartbeat, EnvironmentStatus.Online)
        .Allow(EnvironmentStatus.Online, EnvironmentOperation.Heartbeat, EnvironmentStatus.Online)
        .Allow(EnvironmentStatus.Online, EnvironmentOperation.MissHeartbeats, EnvironmentStatus.Offline)
        .Allow(EnvironmentStatus.Offline, EnvironmentOperation.Update, EnvironmentStatus.Offline)
        .Allow(EnvironmentStatus.Online, EnvironmentOperation.Update, EnvironmentStatus.Online)
        .Allow(EnvironmentStatus.Offline, EnvironmentOperation.RotateToken, EnvironmentStatus.Offline)
        .Allow(EnvironmentStatus.Online, EnvironmentOperation.RotateToken, EnvironmentStatus.Online)
        .Allow(EnvironmentStatus.Offline, EnvironmentOperation.Validate, EnvironmentStatus.Offline)
        .Allow(EnvironmentStatus.Online, EnvironmentOperation.Validate, EnvironmentStatus.Online)
        .Allow(EnvironmentStatus.Offline, EnvironmentOperation.Retire, EnvironmentStatus.Retired)
        .Allow(EnvironmentStatus.Online, EnvironmentOperation.Retire, EnvironmentStatus.Retired)
        .Hint(EnvironmentStatus.Offline, EnvironmentOperation.MissHeartbeats, "It is already offline.")
        .Hint(EnvironmentStatus.Retired, "It is retired; create another environment.");
}
