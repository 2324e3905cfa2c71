using System.Diagnostics;
using System.Net;
using System.Text.Encodings.Web;
using Runtime.Api.Auth;
using Runtime.Grains;
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
        // One client for every app: no proxy, no redirects, no cookies, bytes passed through as they are.
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
        app.Map($"{Prefix}/{{workspace}}/{{slug}}/{{**rest}}", ForwardAsync).RequireAuthorization().ExcludeFromDescription();
        return app;
    }

    private static async Task ForwardAsync(
        string workspace, string slug, HttpContext http, IGrainFactory grains, ProjectStore projects, IHttpForwarder forwarder, HttpMessageInvoker client)
    {
        // Apps serve under their base path with a trailing slash; relative links break without it.
        if (!http.Request.Path.Value!.EndsWith('/') && http.Request.Path.Value.Count(c => c == '/') == 3)
        {
            http.Response.Redirect($"{Prefix}/{workspace}/{slug}/{http.Request.QueryString}");
            return;
        }
        var caller = http.User.Caller();
        if (workspace != caller.WorkspaceSlug && !(Guid.TryParse(workspace, out var wid) && wid == caller.WorkspaceId))
            throw new NotFoundException("workspace", workspace);
        var id = await projects.FindAsync(caller.WorkspaceId, slug, http.RequestAborted) ?? throw new NotFoundException("project", slug);
        var route = await grains.Get<IProjectGrain>(id).Route();
        if (route.Address is null)
        {
            await UnavailableAsync(http, route);
            return;
        }

        var error = await forwarder.SendAsync(http, route.Address, client, ForwarderRequestConfig.Empty, StripCredentials.Instance);
        if (error != ForwarderError.None && !http.Response.HasStarted)
        {
            http.Response.StatusCode = StatusCodes.Status502BadGateway;
            await WriteAsync(http, 502, "app-unreachable", $"{route.Name} does not answer",
                "Runtime could not reach the app; it may have just crashed. Its log says more (GET …/projects/{slug}/logs).");
        }
    }

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

    // Browsers get a small page that refreshes itself; API clients get ProblemDetails.
    private static async Task WriteAsync(HttpContext http, int status, string kind, string title, string detail)
    {
        http.Response.StatusCode = status;
        if (http.Request.Headers.Accept.ToString().Contains("text/html", StringComparison.OrdinalIgnoreCase))
        {
            http.Response.ContentType = "text/html; charset=utf-8";
            var encoder = HtmlEncoder.Default;
            await http.Response.WriteAsync($"""
                <!doctype html><html><head><meta charset="utf-8"><meta http-equiv="refresh" content="5">
                <title>{encoder.Encode(title)}</title></head>
                <body style="font-family:sans-serif;max-width:40em;margin:4em auto"><h1>{encoder.Encode(title)}</h1>
                <p>{encoder.Encode(detail)}</p><p>This page reloads every 5 seconds.</p></body></html>
                """);
            return;
        }
        await Results.Problem(Problems.Problems.Create(status, kind, title, detail)).ExecuteAsync(http);
    }

    /// <summary>The app never sees the caller's Runtime token.</summary>
    private sealed class StripCredentials : HttpTransformer
    {
        public static readonly StripCredentials Instance = new();

        public override async ValueTask TransformRequestAsync(HttpContext httpContext, HttpRequestMessage proxyRequest, string destinationPrefix, CancellationToken cancellationToken)
        {
            await base.TransformRequestAsync(httpContext, proxyRequest, destinationPrefix, cancellationToken);
            proxyRequest.Headers.Authorization = null;
        }
    }
}
