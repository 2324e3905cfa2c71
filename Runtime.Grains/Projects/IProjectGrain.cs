using Runtime.Grains.Sources;

namespace Runtime.Grains.Projects;

/// <summary>A Git-backed app: its source, deploy key, revisions and lifecycle.</summary>
public interface IProjectGrain : IGrainWithGuidKey
{
    Task<ProjectView> Create(NewProject project);

    [ReadOnly]
    Task<ProjectView> Get();

    Task<ProjectView> Update(ProjectUpdate update);

    /// <summary>Where the proxy sends the app's traffic, and whether it may.</summary>
    [ReadOnly]
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

    /// <summary>Reported by the agent: the workload of <paramref name="assignmentId"/> answers its health probe at <paramref name="address"/>.</summary>
    Task WorkloadReady(Guid assignmentId, string address);

    /// <summary>Reported by the agent: the workload did not start, or stopped on its own.</summary>
    Task WorkloadFailed(Guid assignmentId, string reason);

    /// <summary>Reported by the agent: the workload was stopped as asked.</summary>
    Task WorkloadStopped(Guid assignmentId);

    Task<ProjectView> RotateKey(string publicKey, string encryptedPrivateKey);

    Task Delete();

    /// <summary>Reported by the fetch activity.</summary>
    Task SourceFetched(Guid operationId, FetchedRevision revision);

    /// <summary>Reported by the fetch activity when git failed.</summary>
    Task SourceFailed(Guid operationId, GitFailure failure, string message);
}

/// <param name="EncryptedPrivateKey">The deploy key's private half, already encrypted by the caller.</param>
public sealed record NewProject(
    Guid WorkspaceId, string WorkspaceSlug, string? Name, string? Slug, string? AppType, string? PythonEnvironment,
    string? RepositoryUrl, string? Branch, string? Path, string PublicKey, string EncryptedPrivateKey, bool AllowLocalRepositories);

/// <summary>The fields that may change while the project is not running; the others are named in a 400.</summary>
public sealed record ProjectUpdate(string? Name, string? PythonEnvironment, string? Path, IReadOnlyList<string> OtherFields);

public sealed record ProjectView(
    Guid Id, Guid WorkspaceId, string Name, string Slug, string AppType, string PythonEnvironment,
    string RepositoryUrl, string Branch, string Path, string Environment, ProjectStatus Status, string? Phase,
    ProjectFailure? Failure, string? Notice, string? TargetRevision, string? CurrentRevision, DeployKeyView DeployKey, DateTimeOffset CreatedAt, DateTimeOffset StatusChangedAt,
    IReadOnlyList<Revision> Revisions);

public sealed record ProjectFailure(string Reason, string? Hint);

public sealed record DeployKeyView(string PublicKey, string Fingerprint);

/// <summary>The proxy's view of a project: its state and, while Deployed, the workload's address.</summary>
public sealed record ProjectRoute(string Name, ProjectStatus Status, string? Address, string? Phase, string? FailureReason);

/// <summary>What a "start" assignment of a project carries to the agent.</summary>
public sealed record StartSpec(Guid ProjectId, string WorkspaceSlug, string Slug, string AppType, string PythonEnvironment, string Path, string Revision, string Archive);

/// <summary>The fetch activity's payload.</summary>
public sealed record FetchSource(Guid ProjectId, Guid OperationId, string RepositoryUrl, string Branch, string EncryptedPrivateKey, string Path);
