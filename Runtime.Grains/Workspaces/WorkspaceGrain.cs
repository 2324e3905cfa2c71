using Orleans;
using Orleans.Runtime;
using Runtime.Grains.Engine;
using Runtime.Grains.Naming;
using Runtime.Grains.Tokens;

namespace Runtime.Grains.Workspaces;

/// <summary>Owns a workspace's identity and membership; the last Owner is always kept.</summary>
[GrainType("workspace")]
public sealed class WorkspaceGrain([PersistentState("workspace")] IPersistentState<GrainRecord<WorkspaceState>> record)
    : RuntimeGrain<WorkspaceState>(record), IWorkspaceGrain
{
    public Task<WorkspaceView> Create(string name, string slug, NewMember owner)
    {
        var validation = new Validation();
        ValidateName(validation, name);
        validation.Require(Slug.IsValid(slug), "slug", $"'{slug}' is not a valid slug: {Slug.Rule}.");
        ValidateMember(validation, owner);
        validation.Require(owner.Role == Role.Owner, "role", "The first member of a workspace is its Owner.");
        validation.ThrowIfInvalid();

        if (Exists)
        {
            if (State.Slug == slug && State.Name == name.Trim())
                return Task.FromResult(View());
            throw new ConflictException("Workspace exists", $"Workspace {Context.Id.Key} already exists as '{State.Slug}'.");
        }

        State = new WorkspaceState { Name = name.Trim(), Slug = slug, CreatedAt = Context.Now };
        State.Members.Add(ToState(owner));
        return Task.FromResult(View());
    }

    public Task<WorkspaceView> Get()
    {
        RequireExists();
        return Task.FromResult(View());
    }

    public Task<MemberView> AddMember(NewMember member)
    {
        RequireExists();
        var validation = new Validation();
        ValidateMember(validation, member);
        validation.ThrowIfInvalid();

        var email = NormalizeEmail(member.Email);
        if (State.Members.FirstOrDefault(m => m.Id == member.Id) is { } same)
        {
            if (same.Email == email && same.Role == member.Role && same.Name == member.Name?.Trim())
                return Task.FromResult(ToView(same));
            throw new ConflictException("Member exists", $"Member {member.Id} already exists with different details; update it instead.");
        }
        if (State.Members.Any(m => m.Email == email))
            throw new ConflictException("Email already a member", $"{email} is already a member of this workspace; change their role instead of adding them again.");

        var added = ToState(member);
        State.Members.Add(added);
        return Task.FromResult(ToView(added));
    }

    public Task<MemberView> ChangeRole(Guid memberId, Role role)
    {
        var member = RequireMember(memberId);
        if (!Enum.IsDefined(role))
            throw new ValidationException("role", "role must be Owner, Member or Viewer.");
        if (member.Role == Role.Owner && role != Role.Owner && OwnerCount() == 1)
            throw new ConflictException("Last owner", "This is the workspace's only Owner; make another member Owner first.");
        member.Role = role;
        return Task.FromResult(ToView(member));
    }

    public async Task RemoveMember(Guid memberId)
    {
        var member = RequireMember(memberId);
        if (member.Role == Role.Owner && OwnerCount() == 1)
            throw new ConflictException("Last owner", "This is the workspace's only Owner; make another member Owner first.");
        State.Members.Remove(member);

        // A removed member's tokens already fail authentication; revoking them also shows it in token lists.
        await using var command = Context.CreateCommand("SELECT key FROM api_tokens WHERE member_id = $1 AND state ->> 'status' = 'Active'");
        command.Parameters.Add(new Npgsql.NpgsqlParameter { Value = memberId.ToString("D") });
        var tokens = new List<Guid>();
        await using (var reader = await command.ExecuteReaderAsync())
        {
            while (await reader.ReadAsync())
                tokens.Add(Guid.Parse(reader.GetString(0)));
        }
        foreach (var token in tokens)
            await Context.Send<ITokenGrain>(token).EnsureRevoked("member removed");
    }

    private void RequireExists()
    {
        if (!Exists)
            throw new NotFoundException("workspace", Context.Id.Key);
    }

    private MemberState RequireMember(Guid memberId)
    {
        RequireExists();
        return State.Members.FirstOrDefault(m => m.Id == memberId) ?? throw new NotFoundException("member", memberId.ToString());
    }

    private int OwnerCount() => State.Members.Count(m => m.Role == Role.Owner);

    private WorkspaceView View()
    {
        var id = Guid.Parse(Context.Id.Key);
        return new WorkspaceView(id, State.Name, State.Slug, State.CreatedAt, State.Members.Select(ToView).ToList());
    }

    private MemberState ToState(NewMember m) => new()
    {
        Id = m.Id, Email = NormalizeEmail(m.Email), Name = m.Name?.Trim(), Role = m.Role, AddedAt = Context.Now,
    };

    private static MemberView ToView(MemberState m) => new(m.Id, m.Email, m.Name, m.Role, m.AddedAt);

    private static string NormalizeEmail(string email) => email.Trim().ToLowerInvariant();

    private static void ValidateName(Validation validation, string? name) =>
        validation.Require(!string.IsNullOrWhiteSpace(name) && name.Trim().Length <= 100, "name", "name is required and at most 100 characters.");

    private static void ValidateMember(Validation validation, NewMember member)
    {
        var email = member.Email?.Trim() ?? "";
        var at = email.IndexOf('@');
        validation.Require(at > 0 && at < email.Length - 1 && email.Length <= 254 && !email.Any(char.IsWhiteSpace),
            "email", "email must look like name@example.com.");
        validation.Require(member.Name is null || member.Name.Trim().Length <= 100, "name", "name is at most 100 characters.");
        validation.Require(Enum.IsDefined(member.Role), "role", "role must be Owner, Member or Viewer.");
    }
}
