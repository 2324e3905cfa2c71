using Runtime.Grains.Settings;
using Runtime.Grains.Sources;

namespace Runtime.Grains.Projects;

/// <summary>A Git-backed app: its source, deploy key, revisions and lifecycle.</summary>
[Orleans.Alias("project")]
public interface IProjectGrain : Assignments.IWorkloadOwner
{
    Task<ProjectView> Create(NewProject project);

    [Orleans.Concurrency.ReadOnly]
    Task<ProjectView> Get();

    Task<ProjectView> Update(ProjectUpdate update);

    /// <summary>Where the proxy sends the app's traffic, and whether it may.</summary>
    [Orleans.Concurrency.ReadOnly]
    Task<ProjectRoute> Route();

    /// <summary>
    /// Without a revision: fetches the branch's latest commit and runs it. With one (a rollback): runs
    /// that fetched revision. While Deployed the new workload starts beside the serving one.
    /// </summary>
    Task<ProjectView> Deploy(string? revision);

    /// <summary>Fetches the branch's latest commit; while Deployed, rolls the app to it.</summary>
    Task<ProjectView> Pull();

    /// <summary>Starts a fresh workload of the serving revision and switches to it when healthy.</summary>
    Task<ProjectView> Restart();

    /// <summary>Starts the current revision again after a stop.</summary>
    Task<ProjectView> Start();

    Task<ProjectView> Stop();

    /// <summary>A profile's settings: variable values, secret names.</summary>
    [Orleans.Concurrency.ReadOnly]
    Task<SettingsView> GetSettings(string profile);

    Task<SettingsView> SetVariable(string profile, string name, string value);

    /// <param name="encrypted">The value, encrypted by the caller for <see cref="SettingContexts.Secret"/>.</param>
    Task<SettingsView> SetSecret(string profile, string name, string encrypted);

    /// <param name="connection">Its secret fields already encrypted by the caller for <see cref="SettingContexts.ConnectionField"/>.</param>
    Task<SettingsView> SetConnection(string profile, string name, StoredConnection connection);

    Task<SettingsView> RemoveSetting(string profile, SettingKind kind, string name);

    /// <summary>
    /// Records an uploaded revision (its id is the hash of its content, so the same content is one revision);
    /// when not running, it becomes the revision the next start or run uses. Deploy it with its id.
    /// </summary>
    Task<UploadedRevision> AddRevision(Revision revision, bool entrypointExists);

    /// <summary>From a job: the spec of its run, built from the project's latest fetched revision and its <c>prod</c> settings.</summary>
    Task StartRun(Jobs.RunRequest request);

    Task<ProjectView> RotateKey(string publicKey, string encryptedPrivateKey);

    Task Delete();

    /// <summary>Reported by the fetch activity.</summary>
    Task SourceFetched(Guid operationId, FetchedRevision revision);

    /// <summary>Reported by the fetch activity when git failed.</summary>
    Task SourceFailed(Guid operationId, GitFailure failure, string message);
}

/// <param name="EncryptedPrivateKey">The deploy key's private half, already encrypted by the caller.</param>
[Orleans.GenerateSerializer]
public sealed record NewProject(
    Guid WorkspaceId, string WorkspaceSlug, string? Name, string? Slug, string? AppType, string? PythonEnvironment,
    string? RepositoryUrl, string? Branch, string? Path, string PublicKey, string EncryptedPrivateKey, bool AllowLocalRepositories,
    Execution.ExecutionChoice? Execution = null);

/// <summary>The fields that may change while the project is not running; the others are named in a 400.</summary>
/// <param name="Environment">The environment to run in: <c>cloud</c> or the id of one of the project's environments (resolved by the caller).</param>
[Orleans.GenerateSerializer]
/// <param name="Execution">Replaces the project's execution choice when set (checked against the operator's limits by the caller).</param>
public sealed record ProjectUpdate(string? Name, string? PythonEnvironment, string? Path, IReadOnlyList<string> OtherFields, string? Environment = null,
    Execution.ExecutionChoice? Execution = null);

[Orleans.GenerateSerializer]
public sealed record ProjectView(
    Guid Id, Guid WorkspaceId, string Name, string Slug, string AppType, string PythonEnvironment,
    string RepositoryUrl, string Branch, string Path, string Environment, ProjectStatus Status, string? Phase,
    ProjectFailure? Failure, string? Notice, string? TargetRevision, string? CurrentRevision, DeployKeyView DeployKey, DateTimeOffset CreatedAt, DateTimeOffset StatusChangedAt,
    IReadOnlyList<Revision> Revisions, Execution.ExecutionChoice? Execution = null);

[Orleans.GenerateSerializer]
public sealed record ProjectFailure(string Reason, string? Hint);

[Orleans.GenerateSerializer]
public sealed record DeployKeyView(string PublicKey, string Fingerprint);

/// <summary>The proxy's view of a project: its state and, while Deployed, the workload's address.</summary>
[Orleans.GenerateSerializer]
public sealed record ProjectRoute(string Name, ProjectStatus Status, string? Address, string? Phase, string? FailureReason);

/// <summary>What a "start" assignment carries to the agent: a project's app, or an interactive job's.</summary>
/// <param name="Settings">The profile's settings with secrets still encrypted; the agent decrypts them just before the start.</param>
/// <param name="BasePath">The path the proxy serves the app under, without a trailing slash (<c>/apps/default/sales</c>).</param>
/// <param name="Configuration">For an interactive job's run: the configuration files of its profile, written to <c>.dlt/</c>.</param>
[Orleans.GenerateSerializer]
public sealed record StartSpec(
    Guid ProjectId, Guid WorkspaceId, string BasePath, string AppType, string PythonEnvironment, string Path, string Revision, string Archive,
    string Profile, ProfileSettings? Settings, Jobs.RunConfiguration? Configuration = null, Execution.ExecutionChoice? Execution = null)
{
    /// <summary>Whose settings these are, for <see cref="SettingContexts"/>.</summary>
    public string SettingsOwner => ProjectGrain.SettingsOwner(ProjectId);
}

/// <summary>The fetch activity's payload.</summary>
[Orleans.GenerateSerializer]
public sealed record FetchSource(Guid ProjectId, Guid OperationId, string RepositoryUrl, string Branch, string EncryptedPrivateKey, string Path);

/// <param name="Created">False when a revision with the same content existed.</param>
[Orleans.GenerateSerializer]
public sealed record UploadedRevision(Revision Revision, bool Created, string? Notice);
