namespace Runtime.Api.Auth;

/// <summary>
/// The check that keeps other sites from riding on a browser session. SameSite=Lax already keeps the
/// cookie off most cross-site requests; this refuses the rest that could change something: a
/// cookie-authenticated WebSocket handshake or unsafe method whose Origin names another host.
/// </summary>
internal static class SameOrigin
{
    /// <summary>True when <paramref name="request"/> could act (not a plain read) and a browser says it comes from another host.</summary>
    public static bool IsForeignWrite(HttpRequest request) => CanAct(request) && !FromThisHost(request);

    /// <summary>True without an Origin header (not a browser, or a same-origin read) or with one naming this host.</summary>
    public static bool FromThisHost(HttpRequest request)
    {
        string? origin = request.Headers.Origin;
        if (string.IsNullOrEmpty(origin))
            return true;
        // Scheme and port are left out on purpose: behind a TLS-terminating proxy the Api sees http and
        // another port, and a site on this host's other port shares its cookies anyway.
        return Uri.TryCreate(origin, UriKind.Absolute, out var uri)
            && string.Equals(uri.IdnHost, request.Host.Host, StringComparison.OrdinalIgnoreCase);
    }

    private static bool CanAct(HttpRequest request) =>
        !(HttpMethods.IsGet(request.Method) || HttpMethods.IsHead(request.Method) || HttpMethods.IsOptions(request.Method))
        || request.Headers.Upgrade.Count > 0;
}
