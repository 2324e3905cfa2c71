namespace Runtime.Grains.Environments;

/// <summary>The environment's agent: heartbeats, the Offline deadline, one identity at a time, what an operator sees.</summary>
public sealed partial class EnvironmentGrain
{
    private const int MaxTransitions = 100;
    private const int MaxEvents = 50;

    public async Task<HeartbeatOutcome> Heartbeat(AgentBeat beat)
    {
        RequireExists();
        var next = Transitions.Next(State.Status, EnvironmentOperation.Heartbeat);
        if (State.Status == EnvironmentStatus.Online && State.Agent is { } holder && holder.AgentId != beat.AgentId)
        {
            // One agent identity per target: the second one is refused while the first is online.
            var refusal = $"agent {holder.AgentId} ({holder.Hostname}) holds environment {State.Name} and is online (last heartbeat {holder.LastHeartbeatAt:u}); " +
                "stop it first, or wait until it has been offline for the threshold.";
            Record("agent-refused", $"agent {beat.AgentId} on {beat.Hostname} was refused: agent {holder.AgentId} is online");
            return new HeartbeatOutcome(false, refusal, State.Name);
        }
        if (State.Agent is { } previous && previous.AgentId != beat.AgentId)
            Record("agent-changed", $"agent {beat.AgentId} on {beat.Hostname} took over from agent {previous.AgentId}");
        State.Agent = new AgentSeen(beat.AgentId, beat.Version, beat.Hostname, beat.StartedAt, Context.Now, beat.Resources, beat.Workloads, beat.RoundTripMs);
        if (State.RetiringSince is not null && beat.Workloads.Count == 0)
        {
            FinishRetirement();
            return new HeartbeatOutcome(true, null, State.Name);
        }
        if (State.Status != next)
            MoveTo(next, $"heartbeat from agent {beat.AgentId} on {beat.Hostname}");
        if (!State.CheckScheduled)
        {
            State.CheckScheduled = true;
            await Context.SendAt<IEnvironmentGrain>(Id, Context.Now + Options.OfflineAfter).CheckHeartbeat();
        }
        return new HeartbeatOutcome(true, null, State.Name);
    }

    public async Task CheckHeartbeat()
    {
        if (!Exists)
            return;
        State.CheckScheduled = false;
        if (State.Status != EnvironmentStatus.Online || State.Agent is not { } agent)
            return;
        var deadline = agent.LastHeartbeatAt + Options.OfflineAfter;
        if (Context.Now >= deadline)
        {
            MoveTo(Transitions.Next(State.Status, EnvironmentOperation.MissHeartbeats), $"no heartbeat for {Options.OfflineAfter.TotalSeconds:0} s (last {agent.LastHeartbeatAt:u})");
            if (State.RetiringSince is not null)
                FinishRetirement(); // nobody left to stop anything
            return;
        }
        State.CheckScheduled = true;
        await Context.SendAt<IEnvironmentGrain>(Id, deadline).CheckHeartbeat();
    }

    public Task WorkloadFailed(string workloadId, string reason)
    {
        if (Exists)
            Record("workload-failed", $"{workloadId}: {reason.Split('\n')[0]}");
        return Task.CompletedTask;
    }

    public Task<Troubleshooting> Troubleshoot()
    {
        RequireExists();
        var agent = State.Agent;
        var now = Context.Now;
        return Task.FromResult(new Troubleshooting(
            new AgentProcess(State.Status, agent?.LastHeartbeatAt, agent?.Version, agent is null ? null : (now - agent.StartedAt).TotalSeconds, agent?.Hostname, agent?.AgentId),
            new NetworkPath(agent?.LastHeartbeatAt, agent is null ? null : (now - agent.LastHeartbeatAt).TotalSeconds, agent?.RoundTripMs),
            TokenView(),
            agent?.Resources,
            State.Events.Where(e => e.Kind == "workload-failed").Reverse().Take(10).ToList(),
            State.Events.AsEnumerable().Reverse().ToList()));
    }

    public Task<Guid> Check(string checks)
    {
        RequireExists();
        Transitions.Next(State.Status, EnvironmentOperation.Validate);
        return Task.FromResult(Context.Assign(new Assignments.AssignmentRequest(Context.Id.Key, $"environment/{Context.Id.Key}/checks", "check", System.Text.Json.JsonDocument.Parse(checks).RootElement.Clone())));
    }

    private Guid Id => Guid.Parse(Context.Id.Key);

    private void MoveTo(EnvironmentStatus status, string reason)
    {
        State.Transitions.Add(new StatusTransition(State.Status, status, Context.Now, reason));
        if (State.Transitions.Count > MaxTransitions)
            State.Transitions.RemoveRange(0, State.Transitions.Count - MaxTransitions);
        State.Status = status;
        State.StatusChangedAt = Context.Now;
    }

    private void Record(string kind, string detail)
    {
        State.Events.Add(new EnvironmentEvent(Context.Now, kind, detail));
        if (State.Events.Count > MaxEvents)
            State.Events.RemoveRange(0, State.Events.Count - MaxEvents);
    }

    /// <summary>The flapping warning: <see cref="EnvironmentOptions.FlapTransitions"/> or more transitions within the window.</summary>
    private string? Warning()
    {
        var since = Context.Now - Options.FlapWindow;
        var recent = State.Transitions.Count(t => t.At >= since && t.To != EnvironmentStatus.Retired);
        if (State.RetiringSince is { } retiring)
            return $"retiring since {retiring:u}: waiting for the agent to stop its workloads";
        return recent >= Options.FlapTransitions
            ? $"flapping: {recent} status changes in the last {Options.FlapWindow.TotalMinutes:0} minutes; check the agent's network path and its machine"
            : null;
    }

    private TokenView TokenView() => new(State.TokenHash is not null, State.TokenIssuedAt,
        State.PreviousTokenHash is not null && State.PreviousTokenValidUntil > Context.Now ? State.PreviousTokenValidUntil : null, State.TokenRevokedAt);

    private EnvironmentView View() => new(Id, State.ProjectId, State.Name, State.Description, State.Labels, State.Status, State.StatusChangedAt,
        State.Agent?.LastHeartbeatAt, Warning(),
        State.Agent is { } a ? new AgentView(a.AgentId, a.Version, a.Hostname, a.StartedAt, a.Workloads.Count) : null,
        TokenView(), State.Transitions.AsEnumerable().Reverse().Take(20).ToList(), State.CreatedAt);
}
