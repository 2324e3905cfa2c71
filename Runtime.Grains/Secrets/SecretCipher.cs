using System.Security.Cryptography;
using System.Text;

namespace Runtime.Grains.Secrets;

/// <summary>
/// AES-256-GCM for secrets at rest: a random 96-bit nonce per value, the master key's id in the
/// ciphertext (<c>v1:&lt;key id&gt;:&lt;base64 nonce|ciphertext|tag&gt;</c>) so that keys can rotate, and
/// associated data binding a value to where it belongs (a value moved to another row fails to decrypt).
/// </summary>
public sealed class SecretCipher(MasterKeys keys)
{
    private const string Version = "v1";
    private const int NonceSize = 12;
    private const int TagSize = 16;

    /// <summary>Encrypts <paramref name="plaintext"/> for the place named by <paramref name="context"/> (for example "project/&lt;id&gt;/secret/API_KEY").</summary>
    public string Encrypt(string plaintext, string context)
    {
        var data = Encoding.UTF8.GetBytes(plaintext);
        var sealedBytes = new byte[NonceSize + data.Length + TagSize];
        var nonce = sealedBytes.AsSpan(0, NonceSize);
        RandomNumberGenerator.Fill(nonce);
        using var aes = new AesGcm(keys.Current, TagSize);
        aes.Encrypt(nonce, data, sealedBytes.AsSpan(NonceSize, data.Length), sealedBytes.AsSpan(NonceSize + data.Length), Encoding.UTF8.GetBytes(context));
        CryptographicOperations.ZeroMemory(data);
        return $"{Version}:{keys.CurrentId}:{Convert.ToBase64String(sealedBytes)}";
    }

    /// <summary>Decrypts a value made by <see cref="Encrypt"/> for the same <paramref name="context"/>.</summary>
    /// <exception cref="SecretDecryptionException">Tampered, moved, malformed, or encrypted with a key this process does not have.</exception>
    public string Decrypt(string ciphertext, string context)
    {
        var parts = ciphertext.Split(':');
        if (parts.Length != 3 || parts[0] != Version)
            throw new SecretDecryptionException("The stored value is not a Runtime ciphertext.");
        var key = keys.Find(parts[1])
            ?? throw new SecretDecryptionException($"The value was encrypted with master key {parts[1]}, which is not configured; add it to {MasterKeys.PreviousKeysKey}.");
        byte[] sealedBytes;
        try
        {
            sealedBytes = Convert.FromBase64String(parts[2]);
        }
        catch (FormatException)
        {
            throw new SecretDecryptionException("The stored value is not a Runtime ciphertext.");
        }
        if (sealedBytes.Length < NonceSize + TagSize)
            throw new SecretDecryptionException("The stored value is too short to be a ciphertext.");

        var length = sealedBytes.Length - NonceSize - TagSize;
        var plain = new byte[length];
        try
        {
            using var aes = new AesGcm(key, TagSize);
            aes.Decrypt(sealedBytes.AsSpan(0, NonceSize), sealedBytes.AsSpan(NonceSize, length), sealedBytes.AsSpan(NonceSize + length), plain, Encoding.UTF8.GetBytes(context));
            return Encoding.UTF8.GetString(plain);
        }
        catch (AuthenticationTagMismatchException)
        {
            throw new SecretDecryptionException("The stored value does not authenticate: it was altered or belongs elsewhere.");
        }
        finally
        {
            CryptographicOperations.ZeroMemory(plain);
        }
    }

    /// <summary>True when <paramref name="ciphertext"/> was made with an older master key and should be re-encrypted.</summary>
    public bool NeedsRotation(string ciphertext) => ciphertext.Split(':') is [_, var id, _] && id != keys.CurrentId;
}

/// <summary>A stored secret cannot be decrypted; the message never contains the value.</summary>
public sealed class SecretDecryptionException(string message) : Exception(message);
