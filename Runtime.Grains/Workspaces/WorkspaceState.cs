namespace Runtime.Grains.Workspaces;

/// <summary>The stored state of a workspace grain (table <c>workspaces</c>; <c>slug</c> is a generated, unique column).</summary>
public sealed class WorkspaceState
{
    public string Name { get; set; } = "";

    public string Slug { get; set; } = "";

    public DateTimeOffset CreatedAt { get; set; }

    public List<MemberState> Members { get; set; } = [];
}

public sealed class MemberState
{
    public Guid Id { get; set; }

    public string Email { get; set; } = "";

    public string? Name { get; set; }

    public Role Role { get; set; }

    public DateTimeOffset AddedAt { get; set; }
}
