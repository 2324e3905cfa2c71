using System.Diagnostics;
using System.Net;
using Runtime.Api.Auth;
using Runtime.Api.Extensions;
using Runtime.Grains;
using Runtime.Grains.Caching;
using Runtime.Grains.Projects;
using Yarp.ReverseProxy.Forwarder;

namespace Runtime.Api.Proxy;

/// <summary>
/// <c>/apps/&lt;workspace&gt;/&lt;slug&gt;/…</c>: forwards to the project's workload (YARP's forwarder,
/// WebSockets included) for members of the workspace; while the app is not Deployed, a 503 that says why.
/// </summary>
public static partial class AppProxy
{
    public const string Prefix = "/apps";

    public static IServiceCollection AddAppProxy(this IServiceCollection services)
    {
        services.AddHttpForwarder();
        services.AddSingleton<RouteCache>();
        services.AddSingleton<JobActivity>();
        services.AddSingleton<JobAddresses>();
        services.AddChangeFeed();
        // One client for every app: no proxy, no redirects, no cookies, bytes passed through as they are.
        // Not from IHttpClientFactory: the service defaults' resilience handler would replay requests and cut
        // streams (SSE, WebSockets) at 30 s.
        services.AddSingleton(new HttpMessageInvoker(new SocketsHttpHandler
        {
            UseProxy = false,
            AllowAutoRedirect = false,
            AutomaticDecompression = DecompressionMethods.None,
            UseCookies = false,
            EnableMultipleHttp2Connections = true,
            ActivityHeadersPropagator = new ReverseProxyPropagator(DistributedContextPropagator.Current),
            ConnectTimeout = TimeSpan.FromSeconds(15),
        }));
        return services;
    }

    public static WebApplication MapAppProxy(this WebApplication app)
    {
        app.Map($"{Prefix}/{{workspace}}/{{slug}}/{{**rest}}", ForwardAsync).RequireAuthorization(AuthenticationExtensions.AppsPolicy).ExcludeFromDescription();
        return app;
    }

    private static async Task ForwardAsync(
        string workspace, string slug, HttpContext http, RouteCache routes, IHttpForwarder forwarder, HttpMessageInvoker client)
    {
        // Apps serve under their base path with a trailing slash; relative links break without it.
        if (!http.Request.Path.Value!.EndsWith('/') && http.Request.Path.Value.Count(c => c == '/') == 3)
        {
            http.Response.Redirect($"{Prefix}/{workspace}/{slug}/{http.Request.QueryString}");
            return;
        }
        if (http.User.Identity?.AuthenticationType == SessionCookieHandler.SchemeName && SameOrigin.IsForeignWrite(http.Request))
        {
            await WriteAsync(http, 403, "cross-origin", "Request from another site refused",
                "A page of another site tried to use your Runtime session (a WebSocket or a form post). Open the app from its own address.");
            return;
        }
        var caller = http.User.Caller();
        if (workspace != caller.WorkspaceSlug && !(Guid.TryParse(workspace, out var wid) && wid == caller.WorkspaceId))
            throw new NotFoundException("workspace", workspace);
        var (route, remembered) = await routes.GetAsync(caller.WorkspaceId, slug, http.RequestAborted);
        if (route.Address is null)
        {
            await UnavailableAsync(http, route);
            return;
        }

        var error = await forwarder.SendAsync(http, route.Address, client, ForwarderRequestConfig.Empty, StripCredentials.Instance);
        if (error == ForwarderError.Request && remembered && !http.Response.HasStarted)
        {
            // The remembered address did not answer: the app may have stopped or moved a moment ago.
            var current = await routes.RefreshAsync(caller.WorkspaceId, slug, http.RequestAborted);
            if (current.Address is null)
            {
                await UnavailableAsync(http, current);
                return;
            }
            if (current.Address != route.Address && HasNoBody(http.Request))
            {
                route = current;
                http.Features.Set<IForwarderErrorFeature>(null);
                error = await forwarder.SendAsync(http, route.Address, client, ForwarderRequestConfig.Empty, StripCredentials.Instance);
            }
        }
        if (error != ForwarderError.None && !http.Response.HasStarted)
        {
            http.Response.StatusCode = StatusCodes.Status502BadGateway;
            await WriteAsync(http, 502, "app-unreachable", $"{route.Name} does not answer",
                "Runtime could not reach the app; it may have just crashed. Its log says more (GET …/projects/{slug}/logs).");
        }
    }

    private static bool HasNoBody(HttpRequest request) =>
        request.ContentLength is null or 0 && !request.Headers.ContainsKey("Transfer-Encoding");

    private static Task UnavailableAsync(HttpContext http, ProjectRoute route)
    {
        http.Response.Headers.RetryAfter = "5";
        var why = route.Status switch
        {
            ProjectStatus.Deploying => $"It is starting ({route.Phase ?? "deploying"}).",
            ProjectStatus.Failed => $"It failed: {route.FailureReason}",
            _ => $"It is {route.Status.ToString().ToLowerInvariant()}.",
        };
        return WriteAsync(http, 503, "app-unavailable", $"{route.Name} is not running", why);
    }

    private static Task WriteAsync(HttpContext http, int status, string kind, string title, string detail) =>
        ProxyPages.RespondAsync(http, status, kind, title, detail, status >= 500 ? 5 : null);
}
