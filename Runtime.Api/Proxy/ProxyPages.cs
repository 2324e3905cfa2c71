using System.Text.Encodings.Web;

namespace Runtime.Api.Proxy;

/// <summary>
/// The HTML pages a browser gets from /apps where an API client gets ProblemDetails: the app is not
/// running (reloads itself), or log in first (a form that starts a browser session).
/// </summary>
internal static class ProxyPages
{
    /// <summary>True for a browser navigating (it asks for HTML); API clients ask for JSON or anything.</summary>
    public static bool Wanted(HttpRequest request) =>
        request.Headers.Accept.ToString().Contains("text/html", StringComparison.OrdinalIgnoreCase);

    /// <summary>
    /// Why an app cannot be shown: browsers get a small page (one that reloads itself every
    /// <paramref name="reloadSeconds"/> when the app may soon be there); API clients get ProblemDetails.
    /// </summary>
    public static async Task RespondAsync(HttpContext http, int status, string kind, string title, string detail, int? reloadSeconds = null)
    {
        http.Response.StatusCode = status;
        http.Response.Headers.CacheControl = "no-store";
        if (Wanted(http.Request))
        {
            await MessageAsync(http, title, detail, reloadSeconds is not null, reloadSeconds ?? 5);
            return;
        }
        await Results.Problem(Problems.Problems.Create(status, kind, title, detail)).ExecuteAsync(http);
    }

    /// <summary>A page that says why the app cannot be shown; when it may soon be, it reloads every <paramref name="reloadSeconds"/>.</summary>
    public static Task MessageAsync(HttpContext http, string title, string detail, bool reload, int reloadSeconds = 5) => reload
        ? WriteAsync(http, title, $"<meta http-equiv=\"refresh\" content=\"{reloadSeconds}\">",
            $"<p>{Encode(detail)}</p><p>This page reloads every {(reloadSeconds == 1 ? "second" : $"{reloadSeconds} seconds")}.</p>")
        : WriteAsync(http, title, "", $"<p>{Encode(detail)}</p>");

    /// <summary>
    /// The login page: why the request was refused and a form that posts a token to <c>POST /api/session</c>,
    /// which sets the session cookie and sends the browser back to <paramref name="returnUrl"/>.
    /// </summary>
    public static Task LoginAsync(HttpContext http, string? failure, string returnUrl)
    {
        var action = http.Request.PathBase + "/api/session";
        var reason = failure is null ? "" : $"<p><strong>{Encode(failure)}</strong></p>";
        return WriteAsync(http, "Log in to open this app", "", $"""
            {reason}<p>Apps on Runtime are open to the members of their workspace. Paste one of your API tokens
            (it starts with <code>rt_</code>). The browser keeps only a session cookie, valid for a working day
            and only while the token is.</p>
            <form method="post" action="{Encode(action)}">
            <input type="hidden" name="returnUrl" value="{Encode(returnUrl)}">
            <p><label>API token <input type="password" name="token" autocomplete="off" required size="50"></label>
            <button type="submit">Log in</button></p></form>
            <p>No token yet? A workspace Owner creates one with <code>POST /api/workspaces/&lt;workspace&gt;/tokens</code>;
            the first Owner token is in <code>.runtime/owner-token</code> on the machine that runs Runtime.</p>
            """);
    }

    private static string Encode(string text) => HtmlEncoder.Default.Encode(text);

    private static async Task WriteAsync(HttpContext http, string title, string head, string body)
    {
        http.Response.ContentType = "text/html; charset=utf-8";
        await http.Response.WriteAsync($"""
            <!doctype html><html><head><meta charset="utf-8">{head}
            <title>{Encode(title)}</title></head>
            <body style="font-family:sans-serif;max-width:40em;margin:4em auto"><h1>{Encode(title)}</h1>
            {body}</body></html>
            """);
    }
}
