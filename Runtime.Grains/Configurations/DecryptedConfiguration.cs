using Runtime.Grains.Jobs;
using Runtime.Grains.Secrets;

namespace Runtime.Grains.Configurations;

/// <summary>A configuration version's files for one workload, decrypted just before it starts: their text by name, and the secret values to mask.</summary>
[Orleans.GenerateSerializer]
public sealed record DecryptedConfiguration(IReadOnlyDictionary<string, string> Files, IReadOnlyList<string> Secrets)
{
    public static readonly DecryptedConfiguration Empty = new(new Dictionary<string, string>(), []);

    public static DecryptedConfiguration Decrypt(SecretCipher cipher, Guid projectId, RunConfiguration? configuration)
    {
        if (configuration is null)
            return Empty;
        var files = new Dictionary<string, string>(StringComparer.Ordinal);
        var secrets = new List<string>();
        foreach (var (name, file) in configuration.Files)
        {
            if (!file.Secret)
            {
                files[name] = file.Text ?? "";
                continue;
            }
            var text = cipher.Decrypt(file.Encrypted!, ConfigurationStore.Context(projectId, configuration.Hash, name));
            files[name] = text;
            secrets.AddRange(ConfigurationFiles.SecretValues(text));
        }
        return new DecryptedConfiguration(files, secrets);
    }
}
