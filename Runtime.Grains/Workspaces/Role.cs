namespace Runtime.Grains.Workspaces;

/// <summary>What a member may do in a workspace. Each role includes the ones below it.</summary>
public enum Role
{
    /// <summary>Reads everything in the workspace; changes nothing.</summary>
    Viewer = 1,

    /// <summary>Creates, deploys and runs projects, jobs and models.</summary>
    Member = 2,

    /// <summary>Also manages members, tokens and workspace settings.</summary>
    Owner = 3,
}

public static class RoleExtensions
{
    public static bool Includes(this Role role, Role required) => role >= required;
}
