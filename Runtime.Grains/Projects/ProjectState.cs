namespace Runtime.Grains.Projects;

public sealed class ProjectState
{
    public Guid WorkspaceId { get; set; }

    public string WorkspaceSlug { get; set; } = "";

    public string Name { get; set; } = "";

    public string Slug { get; set; } = "";

    public AppType AppType { get; set; }

    public string PythonEnvironment { get; set; } = "";

    public string RepositoryUrl { get; set; } = "";

    public string Branch { get; set; } = "";

    public string Path { get; set; } = "";

    public string Environment { get; set; } = ProjectGrain.DefaultEnvironment;

    /// <summary>The executor and limits its app and runs ask for; null: the operator's.</summary>
    public Execution.ExecutionChoice? Execution { get; set; }

    public string PublicKey { get; set; } = "";

    /// <summary>The deploy key's private half, encrypted (<see cref="Secrets.SecretCipher"/>); never leaves the grain unencrypted.</summary>
    public string EncryptedPrivateKey { get; set; } = "";

    public ProjectStatus Status { get; set; }

    /// <summary>What a Deploying project is doing: fetching, waiting for an agent …</summary>
    public string? Phase { get; set; }

    public string? FailureReason { get; set; }

    public string? FailureHint { get; set; }

    /// <summary>The deploy in progress; callbacks for any other one are stale and ignored.</summary>
    public Guid? OperationId { get; set; }

    public List<Revision> Revisions { get; set; } = [];

    public string? TargetRevision { get; set; }

    /// <summary>The start assignment of the workload being started or serving.</summary>
    public Guid? AssignmentId { get; set; }

    /// <summary>The start assignment of a new revision starting beside the serving one (pull, rollback, restart).</summary>
    public Guid? CandidateAssignmentId { get; set; }

    /// <summary>The outcome of the last operation that did not change the status (a roll that failed health, a pull with nothing new).</summary>
    public string? Notice { get; set; }

    /// <summary>Where the serving workload listens (the proxy's upstream), while Deployed.</summary>
    public string? Address { get; set; }

    /// <summary>The revision the serving workload runs.</summary>
    public string? CurrentRevision { get; set; }

    /// <summary>Variables, secrets and connections per profile (<see cref="Settings.Profiles"/>); apps get the <c>access</c> profile's.</summary>
    public SortedDictionary<string, Settings.ProfileSettings> Settings { get; set; } = new(StringComparer.Ordinal);

    public DateTimeOffset CreatedAt { get; set; }

    public DateTimeOffset StatusChangedAt { get; set; }
}

/// <summary>A fetched commit, stored as a content-addressed archive.</summary>
[Orleans.GenerateSerializer]
public sealed record Revision(string Sha, string Message, string Author, DateTimeOffset CommittedAt, string ArchiveHash, long ArchiveSize, DateTimeOffset FetchedAt);
