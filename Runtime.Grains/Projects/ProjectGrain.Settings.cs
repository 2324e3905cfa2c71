using Runtime.Grains.Settings;

namespace Runtime.Grains.Projects;

/// <summary>The project's variables, secrets and connections per profile (DESIGN §1, §6).</summary>
public sealed partial class ProjectGrain
{
    /// <summary>The owner part of the project's settings' encryption contexts.</summary>
    public static string SettingsOwner(Guid projectId) => $"project/{projectId:D}";

    public Task<SettingsView> GetSettings(string profile)
    {
        RequireExists();
        return Task.FromResult(SettingsViewOf(Profiles.Parse(profile), notice: null));
    }

    public Task<SettingsView> SetVariable(string profile, string name, string value)
    {
        RequireExists();
        RequireName(name, "name");
        RequireValue(value);
        return Change(profile, SettingKind.Variable, name, [name], s => s.Variables[name] = value);
    }

    public Task<SettingsView> SetSecret(string profile, string name, string encrypted)
    {
        RequireExists();
        RequireName(name, "name");
        return Change(profile, SettingKind.Secret, name, [name], s => s.Secrets[name] = new StoredSecret(encrypted, Context.Now));
    }

    public Task<SettingsView> SetConnection(string profile, string name, StoredConnection connection)
    {
        RequireExists();
        if (!SettingNames.IsName(name) || name.StartsWith('_'))
            throw new ValidationException("name", $"'{SettingNames.Shorten(name)}' is not a valid connection name: letters, digits and underscores, starting with a letter.");
        var stored = connection with { UpdatedAt = Context.Now };
        var variables = ConnectionTypes.EnvironmentNames(name, stored).ToList();
        foreach (var variable in variables)
        {
            if (SettingNames.Problem(variable) is { } problem)
                throw new ValidationException("name", $"Connection {name} would set {variable}: {problem}");
        }
        return Change(profile, SettingKind.Connection, name, variables, s => s.Connections[name] = stored);
    }

    public Task<SettingsView> RemoveSetting(string profile, SettingKind kind, string name)
    {
        RequireExists();
        profile = Profiles.Parse(profile);
        var settings = State.Settings.GetValueOrDefault(profile);
        var removed = kind switch
        {
            SettingKind.Variable => settings?.Variables.Remove(name),
            SettingKind.Secret => settings?.Secrets.Remove(name),
            _ => settings?.Connections.Remove(name),
        };
        if (removed != true)
            throw new NotFoundException(kind.ToString().ToLowerInvariant(), name);
        if (settings!.IsEmpty)
            State.Settings.Remove(profile);
        return Task.FromResult(SettingsViewOf(profile, PendingRestartNotice(profile)));
    }

    private Task<SettingsView> Change(string profile, SettingKind kind, string name, IReadOnlyList<string> variables, Action<ProfileSettings> apply)
    {
        profile = Profiles.Parse(profile);
        if (!State.Settings.TryGetValue(profile, out var settings))
            settings = new ProfileSettings();
        var self = $"{kind.ToString().ToLowerInvariant()} {name}";
        var owners = WorkloadEnvironment.Owners(settings);
        foreach (var variable in variables)
        {
            if (owners.TryGetValue(variable, out var owner) && owner != self)
                throw new ConflictException("Setting exists", $"{variable} is already set by {owner} in the {profile} profile; delete it first or choose another name.");
        }
        apply(settings);
        State.Settings[profile] = settings;
        return Task.FromResult(SettingsViewOf(profile, PendingRestartNotice(profile)));
    }

    private string? PendingRestartNotice(string profile) =>
        profile == Profiles.Apps && State.Status is ProjectStatus.Deployed or ProjectStatus.Deploying
            ? "Saved. The running app gets the change at its next restart (POST …/restart)."
            : null;

    private static void RequireName(string name, string field)
    {
        if (SettingNames.Problem(name) is { } problem)
            throw new ValidationException(field, problem);
    }

    private static void RequireValue(string? value)
    {
        if (value is null || !SettingNames.IsValue(value))
            throw new ValidationException("value", "value is required. " + SettingNames.ValueRule);
    }

    private SettingsView SettingsViewOf(string profile, string? notice)
    {
        var settings = State.Settings.GetValueOrDefault(profile) ?? new ProfileSettings();
        return new SettingsView(
            profile,
            settings.Variables,
            settings.Secrets.Select(s => new SecretView(s.Key, s.Value.UpdatedAt)).ToList(),
            settings.Connections.Select(c => new ConnectionView(c.Key, c.Value.Type, c.Value.Fields, c.Value.EncryptedFields.Keys.ToList(), c.Value.UpdatedAt)).ToList(),
            WorkloadEnvironment.Owners(settings).Keys.Order(StringComparer.Ordinal).ToList(),
            notice);
    }
}
