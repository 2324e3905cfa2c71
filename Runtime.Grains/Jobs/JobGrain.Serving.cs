using System.Text.Json;
using Runtime.Grains.Assignments;
using Runtime.Grains.Projects;

namespace Runtime.Grains.Jobs;

/// <summary>
/// Interactive jobs: each run is the script served as an app by an agent (a "start" assignment, like a
/// project's), Running once healthy, stopped when idle past the job's timeout, and reachable through the
/// proxy by members or by anyone holding the job's public link.
/// </summary>
public sealed partial class JobGrain
{
    public Task<JobRoute> Route()
    {
        RequireExists();
        var run = State.Active.FirstOrDefault();
        return Task.FromResult(new JobRoute(State.WorkspaceId, State.ProjectId, State.Name, State.BasePath, State.Interactive, run?.Status,
            run?.Status == RunStatus.Running ? run.Address : null, State.IdleTimeout, run is null ? State.LastFailure : null, State.LastFailureAt));
    }

    public Task Visited()
    {
        if (Exists && State.Interactive && State.Active.Any(r => r.Status == RunStatus.Running))
            State.LastActivityAt = Context.Now;
        return Task.CompletedTask;
    }

    public async Task IdleCheck(Guid runId)
    {
        if (!Exists || State.Active.FirstOrDefault(r => r.Id == runId) is not { Status: RunStatus.Running, AssignmentId: { } assignment } run
            || run.CancelRequested || run.IdleStop)
        {
            return;
        }
        var since = State.LastActivityAt ?? Context.Now;
        if (Context.Now - since < State.IdleTimeout)
        {
            // Used meanwhile: look again when it may have been idle for the whole timeout.
            await Context.SendAt<IJobGrain>(Guid.Parse(Context.Id.Key), since + State.IdleTimeout).IdleCheck(runId);
            return;
        }
        run.IdleStop = true;
        if (await WorkloadStops.StopAsync(Context, assignment, run.Environment, RunWorkload(run)))
            await EndAsync(run, RunOperation.Complete, null, IdleReason());
    }

    public Task<PublicLinkView> EnablePublicLink(string tokenHash, DateTimeOffset? expiresAt)
    {
        RequireExists();
        if (!State.Interactive)
            throw new IllegalTransitionException("job", "batch", "enable a public link", "Only interactive jobs are served; create one with \"interactive\": true.");
        if (expiresAt is { } expiry && expiry <= Context.Now)
            throw new ValidationException("expiresAt", "expiresAt must be in the future.");
        State.PublicLink = new PublicLink(tokenHash, Context.Now, expiresAt);
        return Task.FromResult(LinkView());
    }

    public Task<PublicLinkView> DisablePublicLink()
    {
        RequireExists();
        State.PublicLink = null;
        return Task.FromResult(LinkView());
    }

    public async Task ServeReady(Guid runId, StartSpec spec, string environment, string? warning)
    {
        // Cancelled (or the job deleted) before the project answered: it never starts.
        if (!Exists || State.Active.FirstOrDefault(r => r.Id == runId) is not { } run)
            return;
        run.Environment = environment;
        run.AssignmentId = Context.Assign(new AssignmentRequest(environment, RunWorkload(run), "start",
            JsonSerializer.SerializeToElement(spec, GrainJson.Options)));
        run.Status = QueuedStatus(run);
        await WatchStartAsync(run);
        UpdateRow(run, ("revision", spec.Revision), ("warning", warning), ("configuration_version", spec.Configuration?.Version));
    }

    public async Task WorkloadReady(Guid assignmentId, string address)
    {
        if (!Exists || RunOf(assignmentId) is not { } run || !RunTransitions.IsAllowed(run.Status, RunOperation.Start) || run.CancelRequested)
            return;
        run.Status = RunTransitions.Next(run.Status, RunOperation.Start);
        run.Address = address;
        State.LastActivityAt = Context.Now;
        State.LastFailure = null;
        State.LastFailureAt = null;
        UpdateRow(run, ("started_at", Context.Now));
        await Context.SendAt<IJobGrain>(Guid.Parse(Context.Id.Key), Context.Now + State.IdleTimeout).IdleCheck(run.Id);
    }

    public async Task WorkloadFailed(Guid assignmentId, string reason)
    {
        if (Exists && RunOf(assignmentId) is { } run)
            await EndAsync(run, run.CancelRequested ? RunOperation.Cancel : RunOperation.Fail, null, run.CancelRequested ? "cancelled" : reason);
    }

    public Task WorkloadRestarted(Guid assignmentId, string reason)
    {
        if (Exists && RunOf(assignmentId) is { } run)
            UpdateRow(run, ("warning", $"Restarted at {Context.Now:u} because {reason}."));
        return Task.CompletedTask;
    }

    public async Task ServeEnded(Guid assignmentId, string reason)
    {
        if (Exists && RunOf(assignmentId) is { } run)
            await EndAsync(run, run.CancelRequested ? RunOperation.Cancel : RunOperation.Complete, null, run.CancelRequested ? "cancelled" : reason);
    }

    /// <summary>Stopped as asked: idle (Completed), or cancelled; also a batch run cancelled before its process started.</summary>
    public async Task WorkloadStopped(Guid assignmentId)
    {
        if (Exists && RunOf(assignmentId) is { } run)
        {
            if (run.IdleStop && !run.CancelRequested)
                await EndAsync(run, RunOperation.Complete, null, IdleReason());
            else
                await EndAsync(run, RunOperation.Cancel, null, "cancelled");
        }
    }

    private ActiveRun? RunOf(Guid assignmentId) => State.Active.FirstOrDefault(r => r.AssignmentId == assignmentId);

    private static string RunWorkload(ActiveRun run) => $"run/{run.Id:D}";

    private string IdleReason() => $"stopped after {State.IdleTimeout.TotalSeconds:0} s with no visit";

    private PublicLinkView LinkView() =>
        State.PublicLink is { } link ? new PublicLinkView(true, link.CreatedAt, link.ExpiresAt) : new PublicLinkView(false, null, null);
}
