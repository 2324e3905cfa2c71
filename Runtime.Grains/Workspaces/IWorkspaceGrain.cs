namespace Runtime.Grains.Workspaces;

/// <summary>A tenant: its name, slug and members with their roles.</summary>
[Orleans.Alias("workspace")]
public interface IWorkspaceGrain : Orleans.IGrainWithGuidKey
{
    /// <summary>Creates the workspace with its first Owner; repeating the same create returns the same workspace.</summary>
    Task<WorkspaceView> Create(string name, string slug, NewMember owner);

    [Orleans.Concurrency.ReadOnly]
    Task<WorkspaceView> Get();

    /// <summary>Adds a member; repeating the same add returns the same member.</summary>
    Task<MemberView> AddMember(NewMember member);

    Task<MemberView> ChangeRole(Guid memberId, Role role);

    /// <summary>Removes a member and revokes their tokens. The last Owner cannot be removed.</summary>
    Task RemoveMember(Guid memberId);
}

/// <summary>A member to add.</summary>
[Orleans.GenerateSerializer, Orleans.Alias("workspace.new-member")]
public sealed record NewMember(Guid Id, string Email, string? Name, Role Role);

/// <summary>A workspace as callers see it.</summary>
[Orleans.GenerateSerializer, Orleans.Alias("workspace.view")]
public sealed record WorkspaceView(Guid Id, string Name, string Slug, DateTimeOffset CreatedAt, IReadOnlyList<MemberView> Members);

/// <summary>A member as callers see it.</summary>
[Orleans.GenerateSerializer, Orleans.Alias("workspace.member")]
public sealed record MemberView(Guid Id, string Email, string? Name, Role Role, DateTimeOffset AddedAt);
