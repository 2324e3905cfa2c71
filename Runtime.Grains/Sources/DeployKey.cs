using System.Security.Cryptography;
using System.Text;

namespace Runtime.Grains.Sources;

/// <summary>An ed25519 SSH key pair that a project's repository accepts as its deploy key.</summary>
/// <param name="PrivateKey">OpenSSH private key; store it only encrypted.</param>
/// <param name="PublicKey">The <c>ssh-ed25519 AAAA… comment</c> line to paste as a deploy key.</param>
public sealed record DeployKey(string PrivateKey, string PublicKey)
{
    /// <summary>The key's SHA-256 fingerprint as ssh-keygen -l and GitHub show it (<c>SHA256:…</c>).</summary>
    public string Fingerprint => FingerprintOf(PublicKey);

    /// <summary>Generates a new pair with <c>ssh-keygen -t ed25519</c>.</summary>
    public static async Task<DeployKey> GenerateAsync(string comment, CancellationToken cancellationToken = default)
    {
        var directory = Directory.CreateTempSubdirectory("runtime-key-");
        try
        {
            var path = Path.Combine(directory.FullName, "id_ed25519");
            await CommandLine.RunAsync(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", comment, "-f", path],
                environment: null, workingDirectory: null, timeout: TimeSpan.FromSeconds(30), cancellationToken);
            return new DeployKey(await File.ReadAllTextAsync(path, cancellationToken), (await File.ReadAllTextAsync(path + ".pub", cancellationToken)).Trim());
        }
        finally
        {
            directory.Delete(recursive: true);
        }
    }

    public static string FingerprintOf(string publicKey)
    {
        var parts = publicKey.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        if (parts.Length < 2)
            throw new FormatException("Not an OpenSSH public key line.");
        var blob = Convert.FromBase64String(parts[1]);
        return "SHA256:" + Convert.ToBase64String(SHA256.HashData(blob)).TrimEnd('=');
    }

    public override string ToString() => new StringBuilder("DeployKey { ").Append(Fingerprint).Append(" }").ToString();
}
