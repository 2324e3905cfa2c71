using System.Text.Json;
using Runtime.Grains.Assignments;
using Runtime.Grains.Naming;
using Runtime.Grains.Settings;
using Runtime.Grains.Sources;
using Runtime.Grains.StateMachines;

namespace Runtime.Grains.Projects;

/// <summary>
/// Owns a project's source, deploy key and lifecycle. Deploy records the intent and starts the fetch
/// activity; the activity reports the fetched revision back, and the grain then assigns the app to
/// an agent of its environment.
/// </summary>
[Orleans.GrainType("project")]
public sealed partial class ProjectGrain(
    [Orleans.Runtime.PersistentState("project")] Orleans.Runtime.IPersistentState<Engine.GrainRecord<ProjectState>> record,
    Configurations.ConfigurationStore configurations) : Engine.RuntimeGrain<ProjectState>(record), IProjectGrain
{
    /// <summary>The environment served by the silos' embedded agents.</summary>
    public const string DefaultEnvironment = "cloud";

    public static readonly TransitionTable<ProjectStatus, ProjectOperation> Transitions = new TransitionTable<ProjectStatus, ProjectOperation>("project")
        .Allow(ProjectStatus.Created, ProjectOperation.Deploy, ProjectStatus.Deploying)
        .Allow(ProjectStatus.Stopped, ProjectOperation.Deploy, ProjectStatus.Deploying)
        .Allow(ProjectStatus.Failed, ProjectOperation.Deploy, ProjectStatus.Deploying)
        .Allow(ProjectStatus.Deployed, ProjectOperation.Deploy, ProjectStatus.Deployed)
        .Allow(ProjectStatus.Created, ProjectOperation.Pull, ProjectStatus.Created)
        .Allow(ProjectStatus.Stopped, ProjectOperation.Pull, ProjectStatus.Stopped)
        .Allow(ProjectStatus.Failed, ProjectOperation.Pull, ProjectStatus.Failed)
        .Allow(ProjectStatus.Deployed, ProjectOperation.Pull, ProjectStatus.Deployed)
        .Allow(ProjectStatus.Deployed, ProjectOperation.Restart, ProjectStatus.Deployed)
        .Hint(ProjectStatus.Stopped, ProjectOperation.Restart, "Start it instead.")
        .Hint(ProjectStatus.Deploying, ProjectOperation.Pull, "A deploy is already running; wait for it to finish.")
        .Allow(ProjectStatus.Stopped, ProjectOperation.Start, ProjectStatus.Deploying)
        .Allow(ProjectStatus.Failed, ProjectOperation.Start, ProjectStatus.Deploying)
        .Allow(ProjectStatus.Deployed, ProjectOperation.Stop, ProjectStatus.Stopping)
        .Allow(ProjectStatus.Deploying, ProjectOperation.Stop, ProjectStatus.Stopping)
        .Hint(ProjectStatus.Created, ProjectOperation.Start, "Deploy it first.")
        .Hint(ProjectStatus.Stopped, ProjectOperation.Stop, "It is already stopped.")
        .Hint(ProjectStatus.Created, ProjectOperation.Stop, "It has never run.")
        .Allow(ProjectStatus.Created, ProjectOperation.Update, ProjectStatus.Created)
        .Allow(ProjectStatus.Stopped, ProjectOperation.Update, ProjectStatus.Stopped)
        .Allow(ProjectStatus.Failed, ProjectOperation.Update, ProjectStatus.Failed)
        .Allow(ProjectStatus.Created, ProjectOperation.RotateKey, ProjectStatus.Created)
        .Allow(ProjectStatus.Stopped, ProjectOperation.RotateKey, ProjectStatus.Stopped)
        .Allow(ProjectStatus.Failed, ProjectOperation.RotateKey, ProjectStatus.Failed)
        .Allow(ProjectStatus.Deployed, ProjectOperation.RotateKey, ProjectStatus.Deployed)
        .Hint(ProjectStatus.Deploying, ProjectOperation.Update, "Stop the project first.")
        .Hint(ProjectStatus.Deployed, ProjectOperation.Update, "Stop the project first.")
        .Hint(ProjectStatus.Stopping, ProjectOperation.Update, "Wait until it has stopped.")
        .Hint(ProjectStatus.Deploying, ProjectOperation.Deploy, "A deploy is already running; wait for it to finish.")
        .Hint(ProjectStatus.Deploying, ProjectOperation.RotateKey, "Wait until the deploy has finished.");

    public Task<ProjectView> Create(NewProject project)
    {
        var validation = new Validation();
        var name = project.Name?.Trim() ?? "";
        validation.Require(name.Length is > 0 and <= 100, "name", "name is required, at most 100 characters.");
        var slug = project.Slug ?? Slug.From(name);
        validation.Require(Slug.IsValid(slug), "slug", $"'{slug}' is not a valid slug: {Slug.Rule}.");
        var appType = ParseAppType(validation, project.AppType);
        validation.Require(!string.IsNullOrWhiteSpace(project.PythonEnvironment) && project.PythonEnvironment.Length <= 100,
            "pythonEnvironment", "pythonEnvironment is required: the name of one of the workspace's Python environments.");
        GitInput.RepositoryUrl(validation, "repositoryUrl", project.RepositoryUrl, project.AllowLocalRepositories);
        GitInput.Branch(validation, "branch", project.Branch);
        GitInput.RelativePath(validation, "path", project.Path);
        validation.ThrowIfInvalid();

        if (Exists)
        {
            if (State.WorkspaceId == project.WorkspaceId && State.Slug == slug)
                return Task.FromResult(View());
            throw new ConflictException("Project exists", $"Project {Context.Id.Key} already exists as '{State.Slug}'.");
        }
        State = new ProjectState
        {
            WorkspaceId = project.WorkspaceId,
            WorkspaceSlug = project.WorkspaceSlug,
            Name = name,
            Slug = slug,
            AppType = appType,
            PythonEnvironment = project.PythonEnvironment!.Trim(),
            RepositoryUrl = project.RepositoryUrl!,
            Branch = project.Branch!,
            Path = project.Path!,
            PublicKey = project.PublicKey,
            EncryptedPrivateKey = project.EncryptedPrivateKey,
            Execution = project.Execution,
            Status = ProjectStatus.Created,
            CreatedAt = Context.Now,
            StatusChangedAt = Context.Now,
        };
        return Task.FromResult(View());
    }

    public Task<ProjectView> Get()
    {
        RequireExists();
        return Task.FromResult(View());
    }

    public Task<ProjectRoute> Route()
    {
        RequireExists();
        return Task.FromResult(new ProjectRoute(State.Name, State.Status, State.Status == ProjectStatus.Deployed ? State.Address : null, State.Phase, State.FailureReason));
    }

    public Task<ProjectView> Update(ProjectUpdate update)
    {
        RequireExists();
        var validation = new Validation();
        foreach (var field in update.OtherFields)
            validation.Add(field, $"{field} cannot be changed; only name, pythonEnvironment, path and environment can. Create a new project for another source.");
        if (update.Name is not null)
            validation.Require(update.Name.Trim().Length is > 0 and <= 100, "name", "name must be 1 to 100 characters.");
        if (update.PythonEnvironment is not null)
            validation.Require(update.PythonEnvironment.Trim().Length is > 0 and <= 100, "pythonEnvironment", "pythonEnvironment must be 1 to 100 characters.");
        if (update.Path is not null)
            GitInput.RelativePath(validation, "path", update.Path);
        validation.ThrowIfInvalid();

        Transitions.Next(State.Status, ProjectOperation.Update);
        State.Name = update.Name?.Trim() ?? State.Name;
        State.PythonEnvironment = update.PythonEnvironment?.Trim() ?? State.PythonEnvironment;
        State.Path = update.Path ?? State.Path;
        State.Environment = update.Environment ?? State.Environment;
        State.Execution = update.Execution ?? State.Execution;
        return Task.FromResult(View());
    }

    public Task<ProjectView> Deploy(string? revision)
    {
        RequireExists();
        Revision? known = null;
        if (revision is not null)
        {
            known = State.Revisions.FirstOrDefault(r => r.Sha == revision || (revision.Length >= 7 && r.Sha.StartsWith(revision, StringComparison.Ordinal)))
                ?? throw new ValidationException("revision", $"No fetched revision '{revision}'; list them with GET …/revisions, or pull first.");
        }
        MoveTo(Transitions.Next(State.Status, ProjectOperation.Deploy));
        State.Notice = null;
        State.OperationId = Guid.CreateVersion7(Context.Now);
        if (known is null)
            Fetch();
        else if (State.Status == ProjectStatus.Deployed)
            Roll(known);
        else
            AssignStart(known);
        return Task.FromResult(View());
    }

    public Task<ProjectView> Pull()
    {
        RequireExists();
        Transitions.Next(State.Status, ProjectOperation.Pull);
        State.Notice = null;
        State.OperationId = Guid.CreateVersion7(Context.Now);
        Fetch();
        return Task.FromResult(View());
    }

    public Task<ProjectView> Restart()
    {
        RequireExists();
        Transitions.Next(State.Status, ProjectOperation.Restart);
        State.Notice = null;
        State.OperationId = Guid.CreateVersion7(Context.Now);
        Roll(State.Revisions.First(r => r.Sha == State.CurrentRevision));
        return Task.FromResult(View());
    }

    private void Fetch()
    {
        State.Phase = "fetching";
        Context.StartActivity(new FetchSource(Id, State.OperationId!.Value, State.RepositoryUrl, State.Branch, State.EncryptedPrivateKey, State.Path));
    }

    // Blue/green: the new workload starts beside the serving one; traffic switches when it is healthy.
    private void Roll(Revision revision)
    {
        State.TargetRevision = revision.Sha;
        State.Phase = $"starting {revision.Sha[..12]} beside the serving revision";
        State.CandidateAssignmentId = Context.Assign(new AssignmentRequest(State.Environment, WorkloadId, "start", StartSpecOf(revision)));
    }

    public Task<ProjectView> Start()
    {
        RequireExists();
        var revision = State.TargetRevision ?? State.CurrentRevision;
        var known = State.Revisions.FirstOrDefault(r => r.Sha == revision);
        if (known is null)
            throw new IllegalTransitionException("project", State.Status.ToString(), "start", "It has no fetched revision yet; deploy it.");
        MoveTo(Transitions.Next(State.Status, ProjectOperation.Start));
        State.OperationId = Guid.CreateVersion7(Context.Now);
        AssignStart(known);
        return Task.FromResult(View());
    }

    public async Task<ProjectView> Stop()
    {
        RequireExists();
        MoveTo(Transitions.Next(State.Status, ProjectOperation.Stop));
        State.OperationId = null;
        State.Phase = "stopping";
        if (State.CandidateAssignmentId is { } candidate)
            await StopWorkloadAsync(candidate);
        State.CandidateAssignmentId = null;
        if (State.AssignmentId is not { } assignment || await StopWorkloadAsync(assignment))
            Stopped();
        return View();
    }

    public async Task WorkloadReady(Guid assignmentId, string address)
    {
        if (Exists && State.Status == ProjectStatus.Deployed && State.CandidateAssignmentId == assignmentId)
        {
            // The new revision is healthy: switch traffic to it, then stop the old one.
            var old = State.AssignmentId;
            State.AssignmentId = assignmentId;
            State.CandidateAssignmentId = null;
            State.Address = address;
            State.CurrentRevision = State.TargetRevision;
            State.Phase = null;
            State.OperationId = null;
            if (old is { } previous)
                await StopWorkloadAsync(previous);
            return;
        }
        if (!Exists || State.AssignmentId != assignmentId || State.Status != ProjectStatus.Deploying)
            return;
        MoveTo(ProjectStatus.Deployed);
        State.Phase = null;
        State.OperationId = null;
        State.Address = address;
        State.CurrentRevision = State.TargetRevision;
    }

    public Task WorkloadFailed(Guid assignmentId, string reason)
    {
        if (Exists && State.CandidateAssignmentId == assignmentId)
        {
            // The old revision keeps serving.
            State.Notice = $"Revision {State.TargetRevision?[..12]} did not become healthy ({reason}); still serving {State.CurrentRevision?[..12]}.";
            State.CandidateAssignmentId = null;
            State.TargetRevision = State.CurrentRevision;
            State.Phase = null;
            State.OperationId = null;
            return Task.CompletedTask;
        }
        if (!Exists || State.AssignmentId != assignmentId || State.Status is not (ProjectStatus.Deploying or ProjectStatus.Deployed))
            return Task.CompletedTask;
        State.Address = null;
        State.AssignmentId = null;
        Fail(reason, "Read the app's log (GET …/logs) and fix the app, then deploy again.");
        return Task.CompletedTask;
    }

    public Task WorkloadRestarted(Guid assignmentId, string reason)
    {
        if (Exists && State.AssignmentId == assignmentId && State.Status == ProjectStatus.Deployed)
            State.Notice = $"Restarted at {Context.Now:u} because {reason}.";
        return Task.CompletedTask;
    }

    public Task WorkloadStopped(Guid assignmentId)
    {
        if (!Exists || State.AssignmentId != assignmentId)
            return Task.CompletedTask;
        if (State.Status is ProjectStatus.Deployed or ProjectStatus.Deploying)
        {
            // Not asked by the project: its environment was retired with force, which stops what runs there.
            State.CandidateAssignmentId = null;
            Stopped();
            State.Notice = $"Stopped at {Context.Now:u}: its environment stopped the app (retired). Choose another environment and start it again.";
        }
        else if (State.Status == ProjectStatus.Stopping)
            Stopped();
        return Task.CompletedTask;
    }

    private string WorkloadId => $"project/{Id}";

    /// <summary>The queue of one agent of an environment, for work only that agent can do (stopping what it runs).</summary>
    public static string AgentQueue(string environment, string agentId) => WorkloadStops.AgentQueue(environment, agentId);

    /// <summary>Withdraws a start no agent has claimed (true), or asks the agent that claimed it to stop the workload.</summary>
    private Task<bool> StopWorkloadAsync(Guid assignment) => WorkloadStops.StopAsync(Context, assignment, State.Environment, WorkloadId);

    private void Stopped()
    {
        MoveTo(ProjectStatus.Stopped);
        State.Phase = null;
        State.Address = null;
        State.AssignmentId = null;
    }

    private void AssignStart(Revision revision)
    {
        State.TargetRevision = revision.Sha;
        State.Phase = "waiting for an agent";
        State.AssignmentId = Context.Assign(new AssignmentRequest(State.Environment, WorkloadId, "start", StartSpecOf(revision)));
    }

    private JsonElement StartSpecOf(Revision revision) => JsonSerializer.SerializeToElement(new StartSpec(
        Id, State.WorkspaceId, $"/apps/{State.WorkspaceSlug}/{State.Slug}", State.AppType.ToString().ToLowerInvariant(), State.PythonEnvironment, State.Path, revision.Sha, revision.ArchiveHash,
        Profiles.Apps, State.Settings.GetValueOrDefault(Profiles.Apps), Execution: State.Execution), GrainJson.Options);

    public Task<UploadedRevision> AddRevision(Revision revision, bool entrypointExists)
    {
        RequireExists();
        var known = State.Revisions.FirstOrDefault(r => r.Sha == revision.Sha);
        var created = known is null;
        if (known is null)
            State.Revisions.Insert(0, known = revision with { FetchedAt = Context.Now });
        if (State.Status is not (ProjectStatus.Deployed or ProjectStatus.Deploying))
            State.TargetRevision = known.Sha;
        var notice = entrypointExists ? null : $"entrypoint {State.Path} not found in {known.Sha[..12]}; jobs of other paths can still run it";
        return Task.FromResult(new UploadedRevision(known, created, notice));
    }

    public Task<ProjectView> RotateKey(string publicKey, string encryptedPrivateKey)
    {
        RequireExists();
        Transitions.Next(State.Status, ProjectOperation.RotateKey);
        State.PublicKey = publicKey;
        State.EncryptedPrivateKey = encryptedPrivateKey;
        return Task.FromResult(View());
    }

    public async Task Delete()
    {
        RequireExists();
        // Whatever runs stops with the project; what no agent has claimed is withdrawn.
        foreach (var assignment in new[] { State.AssignmentId, State.CandidateAssignmentId })
        {
            if (assignment is { } id)
                await StopWorkloadAsync(id);
        }
        Context.DeleteState();
    }

    public Task SourceFetched(Guid operationId, FetchedRevision revision)
    {
        if (!IsCurrent(operationId))
            return Task.CompletedTask;
        if (State.Revisions.All(r => r.Sha != revision.Sha))
        {
            State.Revisions.Insert(0, new Revision(revision.Sha, revision.Message, revision.Author, revision.CommittedAt,
                revision.Archive.Hash, revision.Archive.Size, Context.Now));
        }
        var fetched = State.Revisions.First(r => r.Sha == revision.Sha);
        var missing = $"entrypoint {State.Path} not found in {revision.Sha}";
        switch (State.Status)
        {
            case ProjectStatus.Deploying when !revision.EntrypointExists:
                Fail(missing, $"Check the path (it is relative to the repository root) or push the file to {State.Branch}.");
                break;
            case ProjectStatus.Deploying:
                AssignStart(fetched);
                break;
            case ProjectStatus.Deployed when !revision.EntrypointExists:
                Settle($"{missing}; still serving {State.CurrentRevision?[..12]}.");
                break;
            case ProjectStatus.Deployed when revision.Sha == State.CurrentRevision:
                Settle($"Already serving the latest commit of {State.Branch} ({revision.Sha[..12]}).");
                break;
            case ProjectStatus.Deployed:
                Roll(fetched);
                break;
            default:
                // Not running: the revision is recorded and runs at the next start.
                State.TargetRevision = revision.Sha;
                Settle(revision.EntrypointExists ? null : missing);
                break;
        }
        return Task.CompletedTask;
    }

    public Task SourceFailed(Guid operationId, GitFailure failure, string message)
    {
        if (!IsCurrent(operationId))
            return Task.CompletedTask;
        var hint = failure switch
        {
            GitFailure.Authentication => $"Add the project's SSH key as a deploy key of the repository (fingerprint {Sources.DeployKey.FingerprintOf(State.PublicKey)}; GET …/ssh-key shows it).",
            GitFailure.BranchNotFound => "Push the branch, or change the project's branch.",
            GitFailure.Unreachable => "Check the repository URL and that this server can reach its host.",
            _ => null,
        };
        if (State.Status == ProjectStatus.Deploying)
            Fail(message, hint);
        else
            Settle(hint is null ? message : $"{message} {hint}");
        return Task.CompletedTask;
    }

    // An operation that leaves the status as it is ends here, with what the user should know.
    private void Settle(string? notice)
    {
        State.Notice = notice;
        State.Phase = null;
        State.OperationId = null;
    }

    private Guid Id => Guid.Parse(Context.Id.Key);

    private bool IsCurrent(Guid operationId) => Exists && State.OperationId == operationId;

    private void Fail(string reason, string? hint)
    {
        MoveTo(ProjectStatus.Failed);
        State.Phase = null;
        State.OperationId = null;
        State.FailureReason = reason;
        State.FailureHint = hint;
    }

    private void MoveTo(ProjectStatus status)
    {
        if (status != ProjectStatus.Failed)
        {
            State.FailureReason = null;
            State.FailureHint = null;
        }
        State.Status = status;
        State.StatusChangedAt = Context.Now;
    }

    private void RequireExists()
    {
        if (!Exists)
            throw new NotFoundException("project", Context.Id.Key);
    }

    internal static AppType ParseAppType(Validation validation, string? value)
    {
        if (value is not null && Enum.TryParse<AppType>(value, ignoreCase: true, out var type) && Enum.IsDefined(type) && !char.IsDigit(value[0]))
            return type;
        validation.Add("appType", $"'{value}' is not an app type; use one of {string.Join(", ", Enum.GetNames<AppType>().Select(n => n.ToLowerInvariant()))}.");
        return default;
    }

    private ProjectView View() => ProjectViews.From(Id, State);
}

internal static class ProjectViews
{
    public static ProjectView From(Guid id, ProjectState s) => new(
        id, s.WorkspaceId, s.Name, s.Slug, s.AppType.ToString().ToLowerInvariant(), s.PythonEnvironment,
        // A project created before credentials in URLs were refused still holds them; no view shows them.
        Sources.GitInput.WithoutCredentials(s.RepositoryUrl), s.Branch, s.Path, s.Environment, s.Status, s.Phase,
        s.FailureReason is null ? null : new ProjectFailure(s.FailureReason, s.FailureHint), s.Notice,
        s.TargetRevision, s.CurrentRevision, new DeployKeyView(s.PublicKey, Sources.DeployKey.FingerprintOf(s.PublicKey)),
        s.CreatedAt, s.StatusChangedAt, s.Revisions, s.Execution);
}
