using Microsoft.Net.Http.Headers;
using Runtime.Api.Auth;
using Yarp.ReverseProxy.Forwarder;

namespace Runtime.Api.Proxy;

/// <summary>
/// Keeps Runtime's credentials out of the apps: the forwarded request loses the Authorization header,
/// the session cookie and a public link's cookie (the app's own cookies pass), and an app's response
/// cannot set either cookie.
/// </summary>
internal sealed class StripCredentials : HttpTransformer
{
    public static readonly StripCredentials Instance = new();

    public override async ValueTask TransformRequestAsync(HttpContext httpContext, HttpRequestMessage proxyRequest, string destinationPrefix, CancellationToken cancellationToken)
    {
        await base.TransformRequestAsync(httpContext, proxyRequest, destinationPrefix, cancellationToken);
        proxyRequest.Headers.Authorization = null;
        if (!proxyRequest.Headers.TryGetValues(HeaderNames.Cookie, out var headers))
            return;
        var kept = headers.SelectMany(h => h.Split(';', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
            .Where(cookie => !IsSessionCookie(cookie))
            .ToList();
        proxyRequest.Headers.Remove(HeaderNames.Cookie);
        if (kept.Count > 0)
            proxyRequest.Headers.TryAddWithoutValidation(HeaderNames.Cookie, string.Join("; ", kept));
    }

    public override async ValueTask<bool> TransformResponseAsync(HttpContext httpContext, HttpResponseMessage? proxyResponse, CancellationToken cancellationToken)
    {
        var result = await base.TransformResponseAsync(httpContext, proxyResponse, cancellationToken);
        var setCookies = httpContext.Response.Headers.SetCookie;
        if (setCookies.Any(c => IsSessionCookie(c ?? "")))
            httpContext.Response.Headers.SetCookie = setCookies.Where(c => !IsSessionCookie(c ?? "")).ToArray();
        return result;
    }

    // Names compared ignoring case: ASP.NET Core reads request cookies that way, so an app must not be
    // able to plant a RUNTIME_SESSION that would be read as the session.
    private static bool IsSessionCookie(string cookie)
    {
        var equals = cookie.IndexOf('=');
        var name = (equals < 0 ? cookie : cookie[..equals]).Trim();
        return name.Equals(SessionCookie.Name, StringComparison.OrdinalIgnoreCase) || name.Equals(PublicLinks.CookieName, StringComparison.OrdinalIgnoreCase);
    }
}
