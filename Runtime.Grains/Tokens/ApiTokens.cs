using System.Buffers.Text;
using System.Security.Cryptography;
using System.Text;

namespace Runtime.Grains.Tokens;

/// <summary>The API token format: <c>rt_</c> + 32 random bytes (base64url); stored only as its SHA-256.</summary>
public static class ApiTokens
{
    public const string Scheme = "rt_";

    // rt_ + 43 characters of unpadded base64url for 32 bytes.
    private const int Length = 3 + 43;
    private const int PrefixLength = 10;

    /// <summary>A new token: the secret to show once, its hash to store, and a prefix to recognise it by.</summary>
    public static (string Secret, string Hash, string Prefix) Create()
    {
        var secret = Scheme + Base64Url.EncodeToString(RandomNumberGenerator.GetBytes(32));
        return (secret, Hash(secret), secret[..PrefixLength]);
    }

    /// <summary>True when <paramref name="value"/> has the shape of a token (it may still be unknown).</summary>
    public static bool LooksLikeToken(string? value) =>
        value is { Length: Length } && value.StartsWith(Scheme, StringComparison.Ordinal) && Base64Url.IsValid(value.AsSpan(Scheme.Length));

    public static string Hash(string secret) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(secret)));

    public static bool IsHash(string? value) => value is { Length: 64 } && value.All(char.IsAsciiHexDigitLower);
}
