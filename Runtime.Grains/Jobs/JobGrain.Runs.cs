using System.Text.Json;
using Runtime.Grains.Assignments;
using Runtime.Grains.Projects;

namespace Runtime.Grains.Jobs;

/// <summary>The runs of a job: started, queued for an agent, reported on by it, ended, retried, followed up.</summary>
public sealed partial class JobGrain
{
    public async Task AgentLost(Guid runId, string reason)
    {
        if (Exists && State.Active.FirstOrDefault(r => r.Id == runId) is { AssignmentId: not null, Status: RunStatus.Pending or RunStatus.Starting or RunStatus.Running } run)
        {
            // A cancel that was on its way when the agent died still holds: the next agent ends the orphaned process.
            if (run.CancelRequested)
                await EndAsync(run, RunOperation.Cancel, null, "cancelled");
            else
                await EndAsync(run, RunOperation.Fail, null, reason);
            // A remote agent that comes back takes its processes over: this one is stopped there, not run on unseen.
            if (run.Environment != ProjectGrain.DefaultEnvironment && run.AssignmentId is { } assignment)
                await Assignments.WorkloadStops.StopAsync(Context, assignment, run.Environment, RunWorkload(run));
        }
    }

    public async Task FollowUp(Guid upstreamJobId, Guid upstreamRunId)
    {
        if (Exists && State.Status == JobStatus.Active && State.After?.JobId == upstreamJobId)
            await StartRunAsync(RunTriggers.FollowUp, null);
    }

    public async Task Retry(Guid failedRunId, Guid firstRunId, int attempt)
    {
        if (!Exists || State.Status != JobStatus.Active)
            return;
        await StartRunAsync(RunTriggers.Retry, null, attempt, firstRunId);
    }

    public async Task RunReady(RunSpec spec, string? warning)
    {
        // Cancelled (or the job deleted) before the project answered: it never starts.
        if (!Exists || State.Active.FirstOrDefault(r => r.Id == spec.RunId) is not { } run)
            return;
        run.Environment = spec.Environment;
        run.AssignmentId = Context.Assign(new AssignmentRequest(spec.Environment, RunWorkload(run), "run",
            JsonSerializer.SerializeToElement(spec, GrainJson.Options)));
        run.Status = QueuedStatus(run);
        await WatchStartAsync(run);
        UpdateRow(run, ("revision", spec.Revision), ("warning", warning), ("configuration_version", spec.Configuration?.Version));
    }

    public async Task StartDeadline(Guid runId)
    {
        if (Exists && State.Active.FirstOrDefault(r => r.Id == runId) is { Status: RunStatus.Pending or RunStatus.Starting, AssignmentId: { } assignment } run
            && await Assignments.WorkloadStops.WithdrawAsync(Context, assignment))
        {
            var deadline = environments.Value.RunStartDeadline;
            await EndAsync(run, RunOperation.Fail, null, $"environment offline: no agent took the run within {deadline.TotalSeconds:0} s");
        }
    }

    // Queued for an agent: the silos' agents are always there (Starting); a custom environment's may not be (Pending until it starts the run).
    private static RunStatus QueuedStatus(ActiveRun run) => run.Environment == ProjectGrain.DefaultEnvironment ? RunStatus.Starting : RunStatus.Pending;

    // A custom environment's agent may be offline: a run it has not taken by the deadline fails instead of waiting for ever.
    private async Task WatchStartAsync(ActiveRun run)
    {
        if (run.Environment != ProjectGrain.DefaultEnvironment)
            await Context.SendAt<IJobGrain>(Guid.Parse(Context.Id.Key), Context.Now + environments.Value.RunStartDeadline).StartDeadline(run.Id);
    }

    public async Task RunNotStarted(Guid runId, string reason)
    {
        if (Exists && State.Active.FirstOrDefault(r => r.Id == runId) is { } run)
            await EndAsync(run, run.CancelRequested ? RunOperation.Cancel : RunOperation.Fail, null, run.CancelRequested ? "cancelled" : reason);
    }

    public Task RunStarted(Guid runId, string tokenHash)
    {
        if (Exists && State.Active.FirstOrDefault(r => r.Id == runId) is { } run && RunTransitions.IsAllowed(run.Status, RunOperation.Start))
        {
            run.Status = RunTransitions.Next(run.Status, RunOperation.Start);
            UpdateRow(run, ("started_at", Context.Now), ("token_hash", tokenHash));
        }
        return Task.CompletedTask;
    }

    public async Task RunEnded(Guid runId, int exitCode, string? stopReason, string? lastLines)
    {
        if (!Exists || State.Active.FirstOrDefault(r => r.Id == runId) is not { } run)
            return;
        var (ending, reason) = stopReason switch
        {
            null when exitCode == 0 => (RunOperation.Complete, (string?)null),
            null => (RunOperation.Fail, $"the script exited with code {exitCode}{lastLines}"),
            "cancelled" => (RunOperation.Cancel, "cancelled"),
            _ => (RunOperation.Fail, stopReason),
        };
        await EndAsync(run, ending, exitCode < 0 ? null : exitCode, reason);
    }

    private async Task<ActiveRun> StartRunAsync(string trigger, DateTimeOffset? scheduledFor, int attempt = 1, Guid? retryOf = null)
    {
        var run = new ActiveRun
        {
            Id = Guid.CreateVersion7(Context.Now), Number = ++State.LastNumber, Trigger = trigger, Status = RunStatus.Pending, Attempt = attempt, RetryOf = retryOf,
        };
        State.Active.Add(run);
        Context.InsertRow("runs", new Dictionary<string, object?>
        {
            ["id"] = run.Id, ["job_id"] = Context.Id.Key, ["workspace_id"] = State.WorkspaceId.ToString("D"), ["number"] = run.Number,
            ["trigger"] = trigger, ["status"] = nameof(RunStatus.Pending), ["created_at"] = Context.Now, ["scheduled_for"] = scheduledFor,
            ["attempt"] = attempt, ["retry_of"] = retryOf,
        });
        // The project owns the source and the settings: it builds the run's spec and queues it for an agent.
        await Context.Send<IProjectGrain>(State.ProjectId).StartRun(new RunRequest(Guid.Parse(Context.Id.Key), run.Id, State.Path, State.TimeLimit,
            State.Interactive ? new AppServe(State.AppType, State.BasePath!) : null, State.Execution));
        return run;
    }

    private async Task CancelAsync(ActiveRun run, string reason)
    {
        run.CancelRequested = true;
        if (run.AssignmentId is not { } assignment)
        {
            // Not queued for an agent yet: it ends now, and the project's answer is ignored.
            await EndAsync(run, RunOperation.Cancel, null, reason);
            return;
        }
        if (await Assignments.WorkloadStops.StopAsync(Context, assignment, run.Environment, RunWorkload(run)))
            await EndAsync(run, RunOperation.Cancel, null, reason); // no agent had it: it never starts
    }

    private async Task EndAsync(ActiveRun run, RunOperation ending, int? exitCode, string? reason)
    {
        State.Active.Remove(run);
        var status = run.Status = RunTransitions.Next(run.Status, ending);
        if (State.Interactive)
        {
            State.LastFailure = status == RunStatus.Failed ? reason : null;
            State.LastFailureAt = status == RunStatus.Failed ? Context.Now : null;
        }
        UpdateRow(run, ("ended_at", Context.Now), ("exit_code", exitCode), ("reason", reason));
        if (status == RunStatus.Failed && run.Attempt <= State.Retries && !run.CancelRequested)
        {
            // Tried again after the delay, doubling with each attempt.
            var delay = TimeSpan.FromTicks(State.RetryDelay.Ticks * (1L << Math.Min(run.Attempt - 1, 10)));
            await Context.SendAt<IJobGrain>(Guid.Parse(Context.Id.Key), Context.Now + delay).Retry(run.Id, run.RetryOf ?? run.Id, run.Attempt + 1);
        }
        foreach (var follower in State.Followers)
        {
            if (follower.On == FollowOn.Ended && status is RunStatus.Completed or RunStatus.Failed
                || follower.On == FollowOn.Completed && status == RunStatus.Completed
                || follower.On == FollowOn.Failed && status == RunStatus.Failed)
            {
                await Context.Send<IJobGrain>(follower.JobId).FollowUp(Guid.Parse(Context.Id.Key), run.Id);
            }
        }
        if (State.Queued > 0 && State.Active.Count == 0 && State.Status == JobStatus.Active)
        {
            State.Queued--;
            await StartRunAsync(RunTriggers.Schedule, null);
        }
    }

    // The run's row changes with the job's state (the row's status is the run's).
    private void UpdateRow(ActiveRun run, params (string Column, object? Value)[] values) =>
        Context.UpdateRow("runs", run.Id, values.Select(v => KeyValuePair.Create(v.Column, v.Value)).Prepend(KeyValuePair.Create("status", (object?)run.Status.ToString())));

    private async Task<RunStatus?> StatusOfEndedAsync(Guid runId)
    {
        await using var select = Context.CreateCommand("SELECT status FROM runs WHERE id = $1 AND job_id = $2");
        Add(select, runId, Context.Id.Key);
        return await select.ExecuteScalarAsync() is string status ? Enum.Parse<RunStatus>(status) : null;
    }
}
