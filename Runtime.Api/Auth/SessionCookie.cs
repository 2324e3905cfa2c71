using System.Globalization;
using Microsoft.Extensions.Options;
using Runtime.Grains.Secrets;
using Runtime.Grains.Tokens;

namespace Runtime.Api.Auth;

/// <summary>
/// The browser session cookie. It holds the token's SHA-256 and an expiry, sealed (AES-256-GCM) with the
/// secrets master key: every Api node of an installation reads it, nothing else can make or read one,
/// and it never holds the token itself. The token is checked again on every request, so a session ends
/// the moment its token is revoked or expires.
/// </summary>
public sealed partial class SessionCookie(SecretCipher cipher, TimeProvider time, IOptions<BrowserSessionOptions> options, ILogger<SessionCookie> logger)
{
    public const string Name = "runtime_session";

    // Bound into the ciphertext: a value sealed for any other purpose (a project secret) is not a session.
    private const string Purpose = "api/session-cookie/v1";

    /// <summary>Sets the cookie for the token with hash <paramref name="tokenHash"/>; returns when the session ends.</summary>
    public DateTimeOffset Issue(HttpContext http, Caller caller, string tokenHash)
    {
        var expires = time.GetUtcNow() + options.Value.Lifetime;
        var value = cipher.Encrypt($"{tokenHash}|{expires.ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture)}", Purpose);
        http.Response.Cookies.Append(Name, value, CookieOptions(http, expires));
        LogStarted(caller.MemberId, caller.TokenId, expires);
        return expires;
    }

    /// <summary>Tells the browser to drop the cookie.</summary>
    public void Clear(HttpContext http) => http.Response.Cookies.Delete(Name, CookieOptions(http, null));

    /// <summary>The token hash a cookie value carries, or why it carries none.</summary>
    public SessionRead Read(string value)
    {
        string plain;
        try
        {
            plain = cipher.Decrypt(value, Purpose);
        }
        catch (SecretDecryptionException)
        {
            return new SessionRead(null, SessionRefusal.Invalid);
        }
        if (plain.Split('|') is not [var hash, var seconds] || !long.TryParse(seconds, CultureInfo.InvariantCulture, out var expires))
            return new SessionRead(null, SessionRefusal.Invalid);
        return DateTimeOffset.FromUnixTimeSeconds(expires) <= time.GetUtcNow()
            ? new SessionRead(null, SessionRefusal.Expired)
            : new SessionRead(hash, null);
    }

    // HttpOnly: page scripts (the apps' included) cannot read it. Lax: other sites' forms, frames and
    // WebSockets do not carry it. Path /: the login endpoint under /api sets it for /apps.
    private static CookieOptions CookieOptions(HttpContext http, DateTimeOffset? expires) => new()
    {
        HttpOnly = true,
        SameSite = SameSiteMode.Lax,
        Secure = http.Request.IsHttps,
        Path = "/",
        IsEssential = true,
        Expires = expires,
    };

    [LoggerMessage(Level = LogLevel.Information, Message = "Started a browser session for member {MemberId} with token {TokenId}, until {Expires}")]
    private partial void LogStarted(Guid memberId, Guid tokenId, DateTimeOffset expires);
}

/// <summary>Why a session cookie was not accepted before its token was even looked at.</summary>
public enum SessionRefusal
{
    /// <summary>Altered, truncated, or sealed by another installation (or with a master key since removed).</summary>
    Invalid,
    Expired,
}

/// <summary>The outcome of reading a session cookie: the token hash it carries, or a refusal.</summary>
public sealed record SessionRead(string? TokenHash, SessionRefusal? Refusal);
