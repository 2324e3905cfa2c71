namespace Runtime.Grains.Settings;

/// <summary>
/// One profile's variables, secrets and connections, as the owning grain stores them: variables in
/// plain text, secret values and secret connection fields encrypted (<see cref="Secrets.SecretCipher"/>,
/// bound to <see cref="SettingContexts"/>).
/// </summary>
[Orleans.GenerateSerializer(GenerateFieldIds = Orleans.GenerateFieldIds.PublicProperties)]
public sealed class ProfileSettings
{
    public SortedDictionary<string, string> Variables { get; set; } = new(StringComparer.Ordinal);

    public SortedDictionary<string, StoredSecret> Secrets { get; set; } = new(StringComparer.Ordinal);

    public SortedDictionary<string, StoredConnection> Connections { get; set; } = new(StringComparer.Ordinal);

    public bool IsEmpty => Variables.Count == 0 && Secrets.Count == 0 && Connections.Count == 0;
}

[Orleans.GenerateSerializer]
public sealed record StoredSecret(string Encrypted, DateTimeOffset UpdatedAt);

/// <param name="Fields">The connection's plain fields (host, port, user …), defaults filled in.</param>
/// <param name="EncryptedFields">Its secret fields (password, token …), encrypted.</param>
[Orleans.GenerateSerializer]
public sealed record StoredConnection(string Type, SortedDictionary<string, string> Fields, SortedDictionary<string, string> EncryptedFields, DateTimeOffset UpdatedAt);

/// <summary>Where each encrypted setting belongs: the associated data its ciphertext is bound to.</summary>
public static class SettingContexts
{
    public static string Secret(string owner, string profile, string name) => $"{owner}/settings/{profile}/secret/{name}";

    public static string ConnectionField(string owner, string profile, string connection, string field) =>
        $"{owner}/settings/{profile}/connection/{connection}/{field}";
}

/// <summary>What the API shows of a profile's settings: variable values, but of secrets only their names.</summary>
/// <param name="Notice">Set when a change does not reach the running app until it restarts.</param>
[Orleans.GenerateSerializer]
public sealed record SettingsView(
    string Profile,
    IReadOnlyDictionary<string, string> Variables,
    IReadOnlyList<SecretView> Secrets,
    IReadOnlyList<ConnectionView> Connections,
    IReadOnlyList<string> EnvironmentVariables,
    string? Notice);

[Orleans.GenerateSerializer]
public sealed record SecretView(string Name, DateTimeOffset UpdatedAt);

/// <param name="SecretFields">Names of the fields that are set and write-only.</param>
[Orleans.GenerateSerializer]
public sealed record ConnectionView(string Name, string Type, IReadOnlyDictionary<string, string> Fields, IReadOnlyList<string> SecretFields, DateTimeOffset UpdatedAt);

public enum SettingKind
{
    Variable,
    Secret,
    Connection,
}
