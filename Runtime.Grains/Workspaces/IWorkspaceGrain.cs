namespace Runtime.Grains.Workspaces;

/// <summary>A tenant: its name, slug and members with their roles.</summary>
public interface IWorkspaceGrain : IGrainWithGuidKey
{
    /// <summary>Creates the workspace with its first Owner; repeating the same create returns the same workspace.</summary>
    Task<WorkspaceView> Create(string name, string slug, NewMember owner);

    [ReadOnly]
    Task<WorkspaceView> Get();

    /// <summary>Adds a member; repeating the same add returns the same member.</summary>
    Task<MemberView> AddMember(NewMember member);

    Task<MemberView> ChangeRole(Guid memberId, Role role);

    /// <summary>Removes a member and revokes their tokens. The last Owner cannot be removed.</summary>
    Task RemoveMember(Guid memberId);
}

/// <summary>A member to add.</summary>
public sealed record NewMember(Guid Id, string Email, string? Name, Role Role);

public sealed record WorkspaceView(Guid Id, string Name, string Slug, DateTimeOffset CreatedAt, IReadOnlyList<MemberView> Members);

public sealed record MemberView(Guid Id, string Email, string? Name, Role Role, DateTimeOffset AddedAt);
