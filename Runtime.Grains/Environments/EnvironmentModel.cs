namespace Runtime.Grains.Environments;

/// <summary>Whether an environment's agent is heartbeating (DESIGN §3).</summary>
public enum EnvironmentStatus
{
    Offline,
    Online,
    Retired,
}

/// <summary>What can be done to an environment (<see cref="EnvironmentGrain.Transitions"/>).</summary>
public enum EnvironmentOperation
{
    /// <summary>Its agent says it is alive.</summary>
    Heartbeat,

    /// <summary>Its agent has been silent past <see cref="EnvironmentOptions.OfflineAfter"/>.</summary>
    MissHeartbeats,
    Update,
    RotateToken,
    Validate,
    Retire,
}

/// <summary>How environments judge their agents (<c>Runtime:Environments</c>).</summary>
public sealed class EnvironmentOptions
{
    public const string Section = "Runtime:Environments";

    /// <summary>An environment whose agent has not heartbeated for this long is Offline (three missed 10 s heartbeats).</summary>
    public TimeSpan OfflineAfter { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>How long a rotated-out token still works, unless the rotation says.</summary>
    public TimeSpan TokenGrace { get; set; } = TimeSpan.FromMinutes(10);

    /// <summary>This many status transitions within <see cref="FlapWindow"/> raise the flapping warning.</summary>
    public int FlapTransitions { get; set; } = 3;

    public TimeSpan FlapWindow { get; set; } = TimeSpan.FromMinutes(10);

    /// <summary>A run queued for a custom environment that no agent has taken by then fails with "environment offline".</summary>
    public TimeSpan RunStartDeadline { get; set; } = TimeSpan.FromMinutes(10);
}

public sealed class EnvironmentState
{
    public Guid WorkspaceId { get; set; }

    public Guid ProjectId { get; set; }

    public string Name { get; set; } = "";

    public string Description { get; set; } = "";

    public List<string> Labels { get; set; } = [];

    public EnvironmentStatus Status { get; set; }

    public DateTimeOffset StatusChangedAt { get; set; }

    public DateTimeOffset CreatedAt { get; set; }

    /// <summary>The SHA-256 of the agent's token; null once revoked.</summary>
    public string? TokenHash { get; set; }

    public DateTimeOffset? TokenIssuedAt { get; set; }

    /// <summary>The token rotated out, still accepted until <see cref="PreviousTokenValidUntil"/>.</summary>
    public string? PreviousTokenHash { get; set; }

    public DateTimeOffset? PreviousTokenValidUntil { get; set; }

    public DateTimeOffset? TokenRevokedAt { get; set; }

    /// <summary>The agent that holds the environment, from its last accepted heartbeat.</summary>
    public AgentSeen? Agent { get; set; }

    /// <summary>Set by a forced retire while the agent stops what it runs; Retired once its heartbeat shows nothing left (or it goes Offline).</summary>
    public DateTimeOffset? RetiringSince { get; set; }

    /// <summary>Whether a heartbeat deadline check is on its way (one at a time).</summary>
    public bool CheckScheduled { get; set; }

    /// <summary>Status transitions, newest last (the last 100).</summary>
    public List<StatusTransition> Transitions { get; set; } = [];

    /// <summary>What an operator should know: refused agents, workload failures, token changes (the last 50, newest last).</summary>
    public List<EnvironmentEvent> Events { get; set; } = [];
}

/// <summary>The agent as its heartbeats describe it.</summary>
/// <param name="Workloads">The start assignments it said it runs.</param>
[Orleans.GenerateSerializer]
public sealed record AgentSeen(
    Guid AgentId, string Version, string Hostname, DateTimeOffset StartedAt, DateTimeOffset LastHeartbeatAt, AgentResources Resources,
    IReadOnlyList<Guid> Workloads, double? RoundTripMs);

[Orleans.GenerateSerializer]
public sealed record AgentResources(double CpuPercent, long MemoryUsedBytes, long MemoryTotalBytes, long DiskFreeBytes, long DiskTotalBytes);

[Orleans.GenerateSerializer]
public sealed record StatusTransition(EnvironmentStatus From, EnvironmentStatus To, DateTimeOffset At, string Reason);

[Orleans.GenerateSerializer]
public sealed record EnvironmentEvent(DateTimeOffset At, string Kind, string Detail);

/// <summary>One heartbeat, as the gateway passes it on.</summary>
[Orleans.GenerateSerializer]
public sealed record AgentBeat(
    Guid AgentId, string Version, string Hostname, DateTimeOffset StartedAt, AgentResources Resources, IReadOnlyList<Guid> Workloads, double? RoundTripMs);

/// <summary>Accepted, or refused because another agent holds the environment (<paramref name="Refusal"/>).</summary>
[Orleans.GenerateSerializer]
public sealed record HeartbeatOutcome(bool Accepted, string? Refusal, string Name);

[Orleans.GenerateSerializer]
public sealed record NewEnvironment(Guid WorkspaceId, Guid ProjectId, string? Name, string? Description, IReadOnlyList<string>? Labels, string TokenHash);

[Orleans.GenerateSerializer]
public sealed record EnvironmentUpdate(string? Description, IReadOnlyList<string>? Labels, IReadOnlyList<string> OtherFields);

[Orleans.GenerateSerializer]
public sealed record EnvironmentView(
    Guid Id, Guid ProjectId, string Name, string Description, IReadOnlyList<string> Labels, EnvironmentStatus Status, DateTimeOffset StatusChangedAt,
    DateTimeOffset? LastHeartbeatAt, string? Warning, AgentView? Agent, TokenView Token, IReadOnlyList<StatusTransition> Transitions, DateTimeOffset CreatedAt);

[Orleans.GenerateSerializer]
public sealed record AgentView(Guid Id, string Version, string Hostname, DateTimeOffset StartedAt, int Workloads);

/// <param name="PreviousValidUntil">Until when the rotated-out token still works.</param>
[Orleans.GenerateSerializer]
public sealed record TokenView(bool Valid, DateTimeOffset? IssuedAt, DateTimeOffset? PreviousValidUntil, DateTimeOffset? RevokedAt);

/// <summary>An environment's troubleshooting view, in the order to look: the agent process, the network path, the token, resources, failures.</summary>
[Orleans.GenerateSerializer]
public sealed record Troubleshooting(
    AgentProcess Process, NetworkPath Network, TokenView Token, AgentResources? Resources, IReadOnlyList<EnvironmentEvent> RecentFailures,
    IReadOnlyList<EnvironmentEvent> Events);

[Orleans.GenerateSerializer]
public sealed record AgentProcess(EnvironmentStatus Status, DateTimeOffset? LastHeartbeatAt, string? Version, double? UptimeSeconds, string? Hostname, Guid? AgentId);

[Orleans.GenerateSerializer]
public sealed record NetworkPath(DateTimeOffset? LastContactAt, double? SecondsSinceContact, double? RoundTripMs);

/// <param name="Created">False when it already existed (the token given this time was not kept).</param>
[Orleans.GenerateSerializer]
public sealed record CreatedEnvironment(EnvironmentView Environment, bool Created);
