using System.Security.Cryptography;
using Microsoft.Extensions.Configuration;

namespace Runtime.Grains.Secrets;

/// <summary>
/// The master keys that encrypt secrets at rest: the current one, which encrypts, and any previous
/// ones, which still decrypt what they encrypted. Each is known by its id, the first 8 hex digits of
/// its SHA-256, which the ciphertext carries.
/// </summary>
public sealed class MasterKeys
{
    /// <summary><c>Runtime:Secrets:MasterKey</c>: base64 of 32 bytes. When absent, a key file in the data directory is used.</summary>
    public const string MasterKeyKey = "Runtime:Secrets:MasterKey";

    /// <summary><c>Runtime:Secrets:PreviousKeys</c>: comma-separated base64 keys kept for decryption after a rotation.</summary>
    public const string PreviousKeysKey = "Runtime:Secrets:PreviousKeys";

    public const string KeyFileName = "master.key";

    private readonly Dictionary<string, byte[]> _byId;

    public MasterKeys(byte[] current, IEnumerable<byte[]>? previous = null)
    {
        CurrentId = IdOf(Require(current, MasterKeyKey));
        Current = current;
        _byId = new Dictionary<string, byte[]>(StringComparer.Ordinal) { [CurrentId] = current };
        foreach (var key in previous ?? [])
            _byId.TryAdd(IdOf(Require(key, PreviousKeysKey)), key);
    }

    public string CurrentId { get; }

    internal byte[] Current { get; }

    internal byte[]? Find(string id) => _byId.GetValueOrDefault(id);

    /// <summary>
    /// From configuration, or else from <c>&lt;Runtime:DataDirectory&gt;/master.key</c>, created with
    /// mode 0600 on first use. Every process of one installation must see the same key.
    /// </summary>
    public static MasterKeys Load(IConfiguration configuration)
    {
        var previous = (configuration[PreviousKeysKey] ?? "")
            .Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(k => Decode(k, PreviousKeysKey));
        if (configuration[MasterKeyKey] is { Length: > 0 } configured)
            return new MasterKeys(Decode(configured, MasterKeyKey), previous);

        var path = Path.Combine(configuration["Runtime:DataDirectory"] ?? ".runtime", KeyFileName);
        return new MasterKeys(ReadOrCreateKeyFile(path), previous);
    }

    /// <summary>Reads the key file, creating it (0600) when missing; of concurrent creators, the first to publish its key gives it to all.</summary>
    public static byte[] ReadOrCreateKeyFile(string path) =>
        Decode(Runtime.Execution.Files.PrivateFile.ReadOrCreate(path, () => Convert.ToBase64String(RandomNumberGenerator.GetBytes(32))), path);

    private static string IdOf(byte[] key) => Convert.ToHexString(SHA256.HashData(key))[..8].ToLowerInvariant();

    private static byte[] Require(byte[] key, string source) =>
        key.Length == 32 ? key : throw new InvalidOperationException($"The master key from {source} must be 32 bytes (base64 of 32 random bytes), not {key.Length}.");

    private static byte[] Decode(string base64, string source)
    {
        try
        {
            return Require(Convert.FromBase64String(base64), source);
        }
        catch (FormatException)
        {
            throw new InvalidOperationException($"The master key from {source} is not base64. Generate one with: openssl rand -base64 32");
        }
    }
}
