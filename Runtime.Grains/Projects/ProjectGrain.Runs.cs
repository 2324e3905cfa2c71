using Runtime.Grains.Execution;
using Runtime.Grains.Configurations;
using Runtime.Grains.Jobs;
using Runtime.Grains.Settings;

namespace Runtime.Grains.Projects;

/// <summary>Runs of the project's jobs: the project owns the source, the settings and the configuration they run with.</summary>
public sealed partial class ProjectGrain
{
    /// <summary>Answers the job with the run's spec; the job queues it (so a run cancelled meanwhile is never queued).</summary>
    public async Task StartRun(RunRequest request)
    {
        var job = Context.Send<IJobGrain>(request.JobId);
        if (!Exists)
        {
            await job.RunNotStarted(request.RunId, "the project was deleted");
            return;
        }
        var sha = State.TargetRevision ?? State.CurrentRevision ?? State.Revisions.FirstOrDefault()?.Sha;
        if (State.Revisions.FirstOrDefault(r => r.Sha == sha) is not { } revision)
        {
            await job.RunNotStarted(request.RunId, $"project {State.Slug} has no fetched revision yet; pull or deploy it first");
            return;
        }
        if (request.Serve is { } serve)
        {
            // Interactive: served like the project's own app, with the access profile.
            var access = State.Settings.GetValueOrDefault(Profiles.Apps);
            var start = new StartSpec(Id, State.WorkspaceId, serve.BasePath, serve.AppType ?? State.AppType.ToString().ToLowerInvariant(), State.PythonEnvironment,
                request.Path, revision.Sha, revision.ArchiveHash, Profiles.Apps, access, await ConfigurationForAsync(Profiles.Apps),
                ExecutionChoice.Combine(State.Execution, request.Execution));
            await job.ServeReady(request.RunId, start, State.Environment,
                access is null ? $"No '{Profiles.Apps}' profile detected: the app has no variables, secrets or connections." : null);
            return;
        }
        var settings = State.Settings.GetValueOrDefault(Profiles.Prod);
        var warning = settings is null ? $"No '{Profiles.Prod}' profile detected: the run has no variables, secrets or connections." : null;
        var spec = new RunSpec(request.RunId, request.JobId, Id, State.WorkspaceId, State.PythonEnvironment, request.Path, revision.Sha, revision.ArchiveHash,
            Profiles.Prod, settings, request.TimeLimit, await ConfigurationForAsync(Profiles.Prod), State.Environment,
            ExecutionChoice.Combine(State.Execution, request.Execution));
        await job.RunReady(spec, warning);
    }

    // The latest configuration version's files for the profile, as stored (secret ones encrypted).
    private async Task<RunConfiguration?> ConfigurationForAsync(string profile) =>
        await configurations.LatestFilesAsync(Id, name => ConfigurationFiles.IsFor(name, profile)) is { } latest
            ? new RunConfiguration(latest.Version, latest.Hash, latest.Files)
            : null;
}
