using Runtime.Grains.Jobs;
using Runtime.Grains.Tokens;

namespace Runtime.Api.Proxy;

/// <summary>
/// Public links of interactive jobs. <c>/p/&lt;token&gt;/…</c> checks the token, puts it in a cookie
/// scoped to the job's address and sends the browser there; each request to that address then checks
/// the cookie's token against the job again, so a disabled or expired link stops working at once.
/// </summary>
public static class PublicLinks
{
    public const string Prefix = "/p";

    /// <summary>The cookie holding a link's token; its path is the job's address, so it goes nowhere else.</summary>
    public const string CookieName = "RUNTIME_LINK";

    public const string TokenPrefix = "pl_";

    /// <summary>Why a link does not work, or null when it does.</summary>
    public static string? Refusal(PublicLinkTarget? target, DateTimeOffset now) => target switch
    {
        null => "This link does not work: it was disabled or replaced by the job's Owner, or it never existed.",
        { ExpiresAt: { } expiry } when expiry <= now => $"This link expired at {expiry:u}.",
        _ => null,
    };

    /// <summary>The link in the request's cookie, when it opens the job served at <paramref name="basePath"/>; else why not (null when there is no cookie).</summary>
    public static async Task<(PublicLinkTarget? Target, string? Refusal)> FromCookieAsync(HttpContext http, string basePath, RunStore runs, TimeProvider time)
    {
        if (!http.Request.Cookies.TryGetValue(CookieName, out var token) || string.IsNullOrEmpty(token))
            return (null, null);
        var target = token.StartsWith(TokenPrefix, StringComparison.Ordinal) ? await runs.PublicLinkAsync(ApiTokens.Hash(token), http.RequestAborted) : null;
        if (target is not null && target.BasePath != basePath)
            target = null;
        var refusal = Refusal(target, time.GetUtcNow());
        return refusal is null ? (target, null) : (null, refusal);
    }

    public static WebApplication MapPublicLinks(this WebApplication app)
    {
        app.Map($"{Prefix}/{{token}}/{{**rest}}", OpenAsync).AllowAnonymous().ExcludeFromDescription();
        return app;
    }

    private static async Task OpenAsync(string token, HttpContext http, RunStore runs, TimeProvider time)
    {
        var target = token.StartsWith(TokenPrefix, StringComparison.Ordinal) ? await runs.PublicLinkAsync(ApiTokens.Hash(token), http.RequestAborted) : null;
        if (Refusal(target, time.GetUtcNow()) is { } refusal)
        {
            await ProxyPages.RespondAsync(http, target is null ? 404 : 410, "link-not-valid", "This link does not work", refusal);
            return;
        }
        http.Response.Cookies.Append(CookieName, token, new CookieOptions
        {
            Path = target!.BasePath + "/",
            HttpOnly = true,
            Secure = http.Request.IsHttps,
            SameSite = SameSiteMode.Lax,
            Expires = target.ExpiresAt,
            IsEssential = true,
        });
        http.Response.Headers.CacheControl = "no-store";
        // The rest of the link's path, kept as sent: /p/<token>/report?x=1 opens <base path>/report?x=1.
        var remainder = http.Request.Path.Value![(Prefix.Length + 1 + token.Length)..];
        var path = http.Request.PathBase.Add(new PathString(target.BasePath + (remainder.Length == 0 ? "/" : remainder)));
        http.Response.Redirect(path.ToUriComponent() + http.Request.QueryString);
    }
}
