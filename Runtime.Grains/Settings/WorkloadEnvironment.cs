using Runtime.Grains.Secrets;

namespace Runtime.Grains.Settings;

/// <summary>The environment variables a workload gets from its profile's settings, and the values its logs must not show.</summary>
[Orleans.GenerateSerializer]
public sealed record WorkloadEnvironment(IReadOnlyDictionary<string, string> Variables, IReadOnlyList<string> Secrets)
{
    public static readonly WorkloadEnvironment Empty = new(new Dictionary<string, string>(), []);

    /// <summary>Decrypts <paramref name="settings"/> of <paramref name="owner"/> (e.g. <c>project/&lt;id&gt;</c>) just before the workload starts.</summary>
    public static WorkloadEnvironment Decrypt(SecretCipher cipher, string owner, string profile, ProfileSettings? settings)
    {
        if (settings is null)
            return Empty;
        var variables = new Dictionary<string, string>(settings.Variables, StringComparer.Ordinal);
        var secrets = new List<string>();
        foreach (var (name, secret) in settings.Secrets)
        {
            var value = cipher.Decrypt(secret.Encrypted, SettingContexts.Secret(owner, profile, name));
            variables[name] = value;
            secrets.Add(value);
        }
        foreach (var (name, connection) in settings.Connections)
        {
            var fields = new Dictionary<string, string>(connection.Fields, StringComparer.Ordinal);
            foreach (var (field, encrypted) in connection.EncryptedFields)
            {
                var value = cipher.Decrypt(encrypted, SettingContexts.ConnectionField(owner, profile, name, field));
                fields[field] = value;
                secrets.Add(value);
                secrets.Add(Uri.EscapeDataString(value));
            }
            foreach (var (key, value) in ConnectionTypes.Environment(name, connection.Type, fields))
                variables[key] = value;
        }
        return new WorkloadEnvironment(variables, secrets.Distinct().ToList());
    }

    /// <summary>The settings' variables overlaid by what the platform sets (the app template's, RUNTIME_*), which always wins.</summary>
    public Dictionary<string, string> With(IEnumerable<KeyValuePair<string, string>> platform)
    {
        var environment = new Dictionary<string, string>(Variables, StringComparer.Ordinal);
        foreach (var (key, value) in platform)
            environment[key] = value;
        return environment;
    }

    /// <summary>Which setting gives each environment variable, to refuse two settings that would set the same one.</summary>
    public static Dictionary<string, string> Owners(ProfileSettings settings)
    {
        var owners = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var name in settings.Variables.Keys)
            owners[name] = $"variable {name}";
        foreach (var name in settings.Secrets.Keys)
            owners[name] = $"secret {name}";
        foreach (var (name, connection) in settings.Connections)
        {
            foreach (var key in ConnectionTypes.EnvironmentNames(name, connection))
                owners[key] = $"connection {name}";
        }
        return owners;
    }
}
