using System.Text.Json;
using Npgsql;
using Runtime.Grains.Assignments;
using Runtime.Grains.Naming;
using Runtime.Grains.Projects;
using Runtime.Grains.Reminders;
using Runtime.Grains.Sources;

namespace Runtime.Grains.Jobs;

/// <summary>
/// A project's script, run on demand or on its cron schedule. Each run is Pending until the project
/// has queued it for an agent, Starting until the agent spawned it, Running, then Completed, Failed or
/// Cancelled. The grain keeps the runs not yet ended and writes every run's row to <c>runs</c>.
/// </summary>
[Orleans.GrainType("job")]
public sealed partial class JobGrain(
    [Orleans.Runtime.PersistentState("job")] Orleans.Runtime.IPersistentState<Engine.GrainRecord<JobState>> record,
    Microsoft.Extensions.Options.IOptions<Environments.EnvironmentOptions> environments) : Engine.RuntimeGrain<JobState>(record), IJobGrain, IRemindable
{
    private const string ScheduleReminder = "schedule";

    /// <summary>A late scheduled fire (after downtime) counts as a catch-up past this.</summary>
    private static readonly TimeSpan Late = TimeSpan.FromSeconds(30);

    public static readonly TimeSpan DefaultTimeLimit = TimeSpan.FromMinutes(120);

    public async Task<JobView> Create(NewJob job)
    {
        var validation = new Validation();
        var name = job.Name?.Trim() ?? "";
        validation.Require(Slug.IsValid(name), "name", $"'{Shorten(name)}' is not a valid job name: {Slug.Rule}.");
        GitInput.RelativePath(validation, "path", job.Path);
        var overlap = ParseOverlap(validation, job.Overlap);
        var limit = ParseLimit(validation, job.TimeLimitSeconds, job.MaxTimeLimit);
        validation.Require(job.Retries is null or (>= 0 and <= 10), "retries", "retries must be from 0 to 10.");
        validation.Require(job.RetryDelaySeconds is null or (>= 1 and <= 86_400), "retryDelaySeconds", "retryDelaySeconds must be from 1 to 86400.");
        var followOn = FollowOn.Completed;
        if (job.AfterOn is not null && !(Enum.TryParse(job.AfterOn, ignoreCase: true, out followOn) && Enum.IsDefined(followOn) && !char.IsDigit(job.AfterOn[0])))
            validation.Add("after.on", "after.on must be completed, failed or ended.");
        validation.Require(job.After is null || job.After != Guid.Parse(Context.Id.Key), "after.job", "A job cannot follow itself.");
        var schedule = job.Cron is null ? null : ParseSchedule(validation, job.Cron, job.TimeZone);
        var idle = TimeSpan.Zero;
        string? appType = null;
        if (job.Serve is { } serve)
        {
            validation.Require(job.Cron is null, "schedule", "An interactive job is served when visited; it has no schedule.");
            validation.Require(job.Retries is null or 0, "retries", "An interactive job is not retried; its next visit starts it again.");
            validation.Require(job.After is null, "after", "An interactive job is served when visited; it cannot follow another job.");
            appType = serve.AppType is null ? null : ProjectGrain.ParseAppType(validation, serve.AppType).ToString().ToLowerInvariant();
            idle = ParseIdle(validation, serve.IdleTimeoutSeconds, serve.DefaultIdleTimeout);
        }
        validation.ThrowIfInvalid();

        if (Exists)
        {
            if (State.ProjectId == job.ProjectId && State.Name == name)
                return View();
            throw new ConflictException("Job exists", $"Job {Context.Id.Key} already exists as '{State.Name}'.");
        }
        State = new JobState
        {
            WorkspaceId = job.WorkspaceId,
            ProjectId = job.ProjectId,
            Name = name,
            Path = job.Path!,
            Cron = schedule?.Expression,
            TimeZone = schedule?.TimeZone.Id ?? "UTC",
            Overlap = overlap,
            CatchUp = job.CatchUp ?? true,
            TimeLimit = limit,
            Execution = job.Execution,
            Retries = job.Retries ?? 0,
            RetryDelay = TimeSpan.FromSeconds(job.RetryDelaySeconds ?? 30),
            After = job.After is { } after ? new Follower(after, followOn) : null,
            Status = JobStatus.Active,
            CreatedAt = Context.Now,
            Interactive = job.Serve is not null,
            AppType = appType,
            IdleTimeout = idle,
            BasePath = job.Serve?.BasePath,
        };
        if (schedule is not null)
            Context.RegisterReminder(ScheduleReminder, ReminderSchedule.OnCron(schedule));
        if (State.After is { } upstream)
            await Context.Send<IJobGrain>(upstream.JobId).AddFollower(new Follower(Guid.Parse(Context.Id.Key), upstream.On));
        return View();
    }

    public Task<JobView> Update(JobUpdate update)
    {
        RequireExists();
        var validation = new Validation();
        foreach (var field in update.OtherFields)
            validation.Add(field, $"{field} cannot be changed; only schedule, overlap, catchUp, timeLimitSeconds, retries, retryDelaySeconds and idleTimeoutSeconds can. Create another job.");
        if (State.Interactive)
        {
            validation.Require(!update.ScheduleGiven || update.Cron is null, "schedule", "An interactive job is served when visited; it has no schedule.");
            validation.Require(update.Retries is null or 0, "retries", "An interactive job is not retried; its next visit starts it again.");
        }
        else
            validation.Require(update.IdleTimeoutSeconds is null, "idleTimeoutSeconds", "idleTimeoutSeconds is for interactive jobs; this one runs to its end.");
        var idle = update.IdleTimeoutSeconds is null ? State.IdleTimeout : ParseIdle(validation, update.IdleTimeoutSeconds, State.IdleTimeout);
        var overlap = update.Overlap is null ? State.Overlap : ParseOverlap(validation, update.Overlap);
        var limit = update.TimeLimitSeconds is null ? State.TimeLimit : ParseLimit(validation, update.TimeLimitSeconds, update.MaxTimeLimit);
        validation.Require(update.Retries is null or (>= 0 and <= 10), "retries", "retries must be from 0 to 10.");
        validation.Require(update.RetryDelaySeconds is null or (>= 1 and <= 86_400), "retryDelaySeconds", "retryDelaySeconds must be from 1 to 86400.");
        var schedule = update.ScheduleGiven && update.Cron is not null ? ParseSchedule(validation, update.Cron, update.TimeZone) : null;
        validation.ThrowIfInvalid();

        State.Overlap = overlap;
        State.TimeLimit = limit;
        State.IdleTimeout = idle;
        State.CatchUp = update.CatchUp ?? State.CatchUp;
        State.Retries = update.Retries ?? State.Retries;
        State.RetryDelay = update.RetryDelaySeconds is { } delay ? TimeSpan.FromSeconds(delay) : State.RetryDelay;
        if (update.ScheduleGiven)
        {
            State.Cron = schedule?.Expression;
            State.TimeZone = schedule?.TimeZone.Id ?? "UTC";
            // Replacing the reminder: the new schedule counts from its next tick.
            if (schedule is null)
                Context.UnregisterReminder(ScheduleReminder);
            else if (State.Status == JobStatus.Active)
                Context.RegisterReminder(ScheduleReminder, ReminderSchedule.OnCron(schedule));
        }
        return Task.FromResult(View());
    }

    private static OverlapPolicy ParseOverlap(Validation validation, string? value)
    {
        if (value is null)
            return OverlapPolicy.Skip;
        if (Enum.TryParse<OverlapPolicy>(value, ignoreCase: true, out var overlap) && Enum.IsDefined(overlap) && !char.IsDigit(value[0]))
            return overlap;
        validation.Add("overlap", "overlap must be skip, allow or queue.");
        return OverlapPolicy.Skip;
    }

    private static TimeSpan ParseLimit(Validation validation, int? seconds, TimeSpan max)
    {
        var limit = seconds is { } s ? TimeSpan.FromSeconds(s) : DefaultTimeLimit;
        validation.Require(limit > TimeSpan.Zero && limit <= max, "timeLimitSeconds",
            $"timeLimitSeconds must be from 1 to {max.TotalSeconds:0} (this installation's maximum, Runtime:Jobs:MaxTimeLimit).");
        return limit;
    }

    private static readonly TimeSpan MaxIdleTimeout = TimeSpan.FromDays(7);

    private static TimeSpan ParseIdle(Validation validation, int? seconds, TimeSpan fallback)
    {
        var idle = seconds is { } s ? TimeSpan.FromSeconds(s) : fallback;
        validation.Require(idle >= TimeSpan.FromSeconds(1) && idle <= MaxIdleTimeout, "idleTimeoutSeconds", $"idleTimeoutSeconds must be from 1 to {MaxIdleTimeout.TotalSeconds:0}.");
        return idle;
    }

    private static CronSchedule? ParseSchedule(Validation validation, string cron, string? timeZone)
    {
        try
        {
            return CronSchedule.Parse(cron, timeZone, "schedule.cron", "schedule.timeZone");
        }
        catch (ValidationException e)
        {
            foreach (var (field, errors) in e.Errors)
                foreach (var error in errors)
                    validation.Add(field, error);
            return null;
        }
    }

    public Task<JobView> Get()
    {
        RequireExists();
        return Task.FromResult(View());
    }

    public Task<JobView> Pause()
    {
        RequireExists();
        State.Status = Transitions.Next(State.Status, JobOperation.Pause);
        if (State.Cron is not null)
            Context.UnregisterReminder(ScheduleReminder);
        return Task.FromResult(View());
    }

    public Task<JobView> Resume()
    {
        RequireExists();
        State.Status = Transitions.Next(State.Status, JobOperation.Resume);
        // From the next tick: what was missed while paused is not caught up.
        if (State.Cron is not null)
            Context.RegisterReminder(ScheduleReminder, ReminderSchedule.OnCron(CronSchedule.Parse(State.Cron, State.TimeZone)));
        return Task.FromResult(View());
    }

    public async Task Delete()
    {
        RequireExists();
        foreach (var run in State.Active.ToList())
            await CancelAsync(run, "the job was deleted");
        if (State.After is { } upstream)
            await Context.Send<IJobGrain>(upstream.JobId).RemoveFollower(Guid.Parse(Context.Id.Key));
        Context.DeleteState();
    }

    public async Task<RunSummary> Trigger(string trigger)
    {
        RequireExists();
        if (State.Interactive && State.Active.FirstOrDefault() is { } serving)
            return Summary(serving);
        return Summary(await StartRunAsync(trigger, null));
    }

    public async Task ReceiveReminder(string name, ReminderTick tick)
    {
        if (!Exists || name != ScheduleReminder || State.Status != JobStatus.Active)
            return;
        if (!State.CatchUp && tick.FiredAt - tick.DueAt > Late)
            return;
        if (State.Active.Count > 0)
        {
            switch (State.Overlap)
            {
                case OverlapPolicy.Skip:
                    return;
                case OverlapPolicy.Queue:
                    State.Queued = Math.Min(State.Queued + 1, 100);
                    return;
            }
        }
        // After downtime the missed ticks arrive as one, due at the first of them: one catch-up run.
        await StartRunAsync(RunTriggers.Schedule, tick.DueAt);
    }

    public async Task<RunSummary> CancelRun(Guid runId)
    {
        RequireExists();
        var run = State.Active.FirstOrDefault(r => r.Id == runId);
        if (run is null)
        {
            var status = await StatusOfEndedAsync(runId) ?? throw new NotFoundException("run", runId.ToString());
            RunTransitions.Next(status, RunOperation.Cancel); // an ended run: refused, naming its status
            throw new InvalidOperationException($"Run {runId} of job {Context.Id.Key} is {status} but not active.");
        }
        await CancelAsync(run, "cancelled");
        return Summary(run);
    }

    public Task AddFollower(Follower follower)
    {
        if (Exists)
        {
            State.Followers.RemoveAll(f => f.JobId == follower.JobId);
            State.Followers.Add(follower);
        }
        return Task.CompletedTask;
    }

    public Task RemoveFollower(Guid jobId)
    {
        if (Exists)
            State.Followers.RemoveAll(f => f.JobId == jobId);
        return Task.CompletedTask;
    }

    private static void Add(NpgsqlCommand command, params object[] values)
    {
        foreach (var value in values)
            command.Parameters.Add(new NpgsqlParameter { Value = value });
    }

    private static RunSummary Summary(ActiveRun run) => new(run.Id, run.Number, run.Trigger, run.Status);

    private JobView View()
    {
        JobSchedule? schedule = null;
        if (State.Cron is not null)
        {
            var cron = CronSchedule.Parse(State.Cron, State.TimeZone);
            schedule = new JobSchedule(State.Cron, State.TimeZone, State.Status == JobStatus.Active ? cron.Upcoming(Context.Now, 5).ToList() : []);
        }
        static FollowView Follow(Follower f) => new(f.JobId, f.On.ToString().ToLowerInvariant());
        return new JobView(Guid.Parse(Context.Id.Key), State.ProjectId, State.Name, State.Path, schedule, State.Overlap.ToString().ToLowerInvariant(),
            State.CatchUp, (int)State.TimeLimit.TotalSeconds, State.Status, State.LastNumber, State.Active.Select(Summary).ToList(), State.CreatedAt,
            State.Retries, (int)State.RetryDelay.TotalSeconds, State.After is { } after ? Follow(after) : null, State.Followers.Select(Follow).ToList(),
            State.Interactive, State.AppType, State.Interactive ? (int)State.IdleTimeout.TotalSeconds : null, State.Interactive ? State.BasePath + "/" : null,
            State.Interactive ? LinkView() : null, State.Execution);
    }

    private void RequireExists()
    {
        if (!Exists)
            throw new NotFoundException("job", Context.Id.Key);
    }

    private static string Shorten(string value) => value.Length <= 40 ? value : value[..40] + "…";
}
