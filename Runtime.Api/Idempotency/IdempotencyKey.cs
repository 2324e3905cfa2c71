using System.Security.Cryptography;
using System.Text;
using Runtime.Grains;

namespace Runtime.Api.Idempotency;

/// <summary>
/// Idempotent creates: the new resource's id is derived from the <c>Idempotency-Key</c> header, the
/// caller and the operation, and grain creates are idempotent per id. A retried request therefore
/// reaches the same grain and gets the same resource, with nothing extra stored.
/// </summary>
public static class IdempotencyKey
{
    public const string Header = "Idempotency-Key";

    /// <summary>The id for a new resource: derived from the header when present, otherwise fresh.</summary>
    public static Guid NewId(HttpRequest request, Guid workspaceId, string operation)
    {
        string? key = request.Headers[Header];
        if (key is null)
            return Guid.CreateVersion7();
        if (key.Length is 0 or > 255 || key.Any(c => c < 0x21 || c > 0x7e))
            throw new ValidationException(Header, "Idempotency-Key must be 1 to 255 visible ASCII characters, for example a UUID.");
        return Derive(workspaceId, $"{operation}\n{key}");
    }

    /// <summary>The same id for the same scope and name, every time: what makes two concurrent creates of one thing create it once.</summary>
    public static Guid Derive(Guid scope, string name)
    {
        var hash = SHA256.HashData(Encoding.UTF8.GetBytes($"{scope:D}\n{name}"));
        // Shape it as an RFC 9562 version 8 (custom) UUID.
        hash[6] = (byte)((hash[6] & 0x0F) | 0x80);
        hash[8] = (byte)((hash[8] & 0x3F) | 0x80);
        return new Guid(hash.AsSpan(0, 16), bigEndian: true);
    }

    public static bool IsPresent(HttpRequest request) => request.Headers.ContainsKey(Header);
}
