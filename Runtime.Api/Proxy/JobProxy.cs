using Microsoft.AspNetCore.Authentication;
using Runtime.Api.Agents;
using Runtime.Api.Auth;
using Runtime.Api.Extensions;
using Runtime.Grains;
using Runtime.Grains.Jobs;
using Runtime.Grains.Projects;
using Yarp.ReverseProxy.Forwarder;

namespace Runtime.Api.Proxy;

/// <summary>
/// <c>/jobs/&lt;workspace&gt;/&lt;project&gt;/&lt;job&gt;/…</c>: an interactive job's app, for members of the
/// workspace and for holders of its public link. A visit while it is not running starts it behind a
/// "starting" page; every proxied request counts as use for its idle timeout.
/// </summary>
public static partial class JobProxy
{
    public const string Prefix = "/jobs";

    /// <summary>After a failed start, visits show the failure for this long before one starts it again.</summary>
    private static readonly TimeSpan ShowFailureFor = TimeSpan.FromSeconds(10);

    public static WebApplication MapJobProxy(this WebApplication app)
    {
        app.Map($"{Prefix}/{{workspace}}/{{project}}/{{job}}/{{**rest}}", ForwardAsync).AllowAnonymous().ExcludeFromDescription();
        return app;
    }

    private static async Task ForwardAsync(
        string workspace, string project, string job, HttpContext http, Orleans.IGrainFactory grains, JobAddresses addresses, RunStore runs,
        JobActivity activity, EnvironmentGate gate, TimeProvider time, IHttpForwarder forwarder, HttpMessageInvoker client)
    {
        var basePath = $"{Prefix}/{workspace}/{project}/{job}";
        if (http.Request.Path.Value == basePath)
        {
            http.Response.Redirect($"{http.Request.PathBase}{basePath}/{http.Request.QueryString}");
            return;
        }
        var found = await AuthorizeAsync(http, workspace, project, job, basePath, grains, addresses, runs, time);
        if (found is not { } resolved)
            return;
        var (jobId, route) = resolved;
        if (SameOrigin.IsForeignWrite(http.Request) && string.IsNullOrEmpty(http.Request.Headers.Authorization))
        {
            await ProxyPages.RespondAsync(http, 403, "cross-origin", "Request from another site refused",
                "A page of another site tried to use your Runtime session or link (a WebSocket or a form post). Open the app from its own address.");
            return;
        }

        if (!route.Interactive || route.BasePath != basePath)
            throw new NotFoundException("interactive job", job);
        if (route.Address is null)
        {
            await NotRunningAsync(http, jobId, grains.GetGrain<IJobGrain>(jobId), route, grains, gate, time);
            return;
        }

        using (activity.Track(jobId, route.IdleTimeout))
        {
            var error = await forwarder.SendAsync(http, route.Address, client, ForwarderRequestConfig.Empty, StripCredentials.Instance);
            if (error != ForwarderError.None && !http.Response.HasStarted)
            {
                await ProxyPages.RespondAsync(http, 502, "app-unreachable", $"{route.Name} does not answer",
                    "Runtime could not reach the app; it may have just stopped. Reload to start it again; its run's log says more.");
            }
        }
    }

    // A member (bearer token or browser session) or the holder of the job's public link, with the job's route; null once the refusal is written.
    private static async Task<(Guid Id, JobRoute Route)?> AuthorizeAsync(
        HttpContext http, string workspace, string project, string job, string basePath, Orleans.IGrainFactory grains, JobAddresses addresses, RunStore runs,
        TimeProvider time)
    {
        var member = await http.AuthenticateAsync(AuthenticationExtensions.AppsScheme);
        if (member.Succeeded)
        {
            http.User = member.Principal;
            var caller = http.User.Caller();
            if (workspace != caller.WorkspaceSlug && !(Guid.TryParse(workspace, out var wid) && wid == caller.WorkspaceId))
                throw new NotFoundException("workspace", workspace);
            return await addresses.RouteAsync(grains, caller.WorkspaceId, project, job, http.RequestAborted);
        }
        var (link, refusal) = await PublicLinks.FromCookieAsync(http, basePath, runs, time);
        if (link is not null)
            return (link.JobId, await grains.GetGrain<IJobGrain>(link.JobId).Route());
        if (refusal is not null)
        {
            http.Response.Cookies.Delete(PublicLinks.CookieName, new CookieOptions { Path = basePath + "/" });
            await ProxyPages.RespondAsync(http, 403, "link-not-valid", "This link does not work", refusal + " Ask for a new link, or log in as a member.");
            return null;
        }
        await http.ChallengeAsync(AuthenticationExtensions.AppsScheme);
        return null;
    }

    private static async Task NotRunningAsync(
        HttpContext http, Guid jobId, IJobGrain grain, JobRoute route, Orleans.IGrainFactory grains, EnvironmentGate gate, TimeProvider time)
    {
        http.Response.Headers.RetryAfter = "1";
        if (route.Status is null && route.LastFailure is not null && time.GetUtcNow() - route.LastFailureAt < ShowFailureFor)
        {
            await ProxyPages.RespondAsync(http, 503, "app-failed", $"{route.Name} failed to start",
                $"{route.LastFailure} Reload in a few seconds to try again.");
            return;
        }
        if (route.Status is null)
        {
            // Runs go where the project runs: nothing starts on an Offline environment.
            try
            {
                await gate.RequireOnlineAsync((await grains.GetGrain<IProjectGrain>(route.ProjectId).Get()).Environment, http.RequestAborted);
            }
            catch (ConflictException e)
            {
                await ProxyPages.RespondAsync(http, 503, "environment-offline", $"{route.Name} cannot start", e.Detail, reloadSeconds: 5);
                return;
            }
            var run = await grain.Trigger(RunTriggers.Visit);
            LogStartedOnVisit(http.RequestServices.GetRequiredService<ILoggerFactory>().CreateLogger(typeof(JobProxy)), jobId, route.Name, run.Id);
        }
        await ProxyPages.RespondAsync(http, 503, "app-starting", $"{route.Name} is starting",
            "It was not running, so this visit started it; it opens here as soon as it is ready.", reloadSeconds: 1);
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Job {JobId} ({Job}): a visit started run {RunId}")]
    private static partial void LogStartedOnVisit(ILogger logger, Guid jobId, string job, Guid runId);
}
