using System.Text.Json;
using Microsoft.AspNetCore.Http.Json;
using Microsoft.Extensions.Options;
using Runtime.Api.Auth;
using Runtime.Api.Proxy;
using Runtime.Grains.Tokens;

namespace Runtime.Api.Endpoints;

/// <summary>
/// Browser sessions for /apps, which a browser cannot send a bearer header to: log in with a token
/// (an HttpOnly cookie is set), log out (it is cleared). The rest of /api never reads the cookie.
/// </summary>
public static partial class SessionEndpoints
{
    /// <param name="Token">An API token (rt_…). It may be sent as <c>Authorization: Bearer</c> instead.</param>
    public sealed record CreateSessionRequest(string? Token);

    // Where the token came from and, for the login page's form, where to send the browser back to.
    private sealed record LoginAttempt(string? Token, bool FromForm, string? ReturnUrl);

    public static WebApplication MapSessionEndpoints(this WebApplication app)
    {
        // Anonymous: the token to check is what the request brings, in the header or the body.
        var group = app.MapGroup("/api/session").WithTags("Sessions").AllowAnonymous();
        group.MapPost("/", Create).WithName("CreateSession")
            .WithSummary("Start a browser session for /apps: sets an HttpOnly cookie standing for the token, which is checked again on every request")
            // Not .Accepts(...): that would make routing answer other content types with a bare 415.
            .WithDescription("The token comes as 'Authorization: Bearer rt_…', as JSON {\"token\": \"rt_…\"}, or from the login page's form (token, returnUrl), which is answered with 303 back into the app.")
            .Produces(StatusCodes.Status204NoContent).Produces(StatusCodes.Status303SeeOther).ProducesProblem(StatusCodes.Status401Unauthorized);
        group.MapDelete("/", Delete).WithName("DeleteSession").WithSummary("End the browser session: clears the cookie")
            .Produces(StatusCodes.Status204NoContent);
        return app;
    }

    private static async Task<IResult> Create(HttpContext http, TokenChecks tokens, SessionCookie cookies, IOptions<JsonOptions> json, ILoggerFactory loggers)
    {
        var request = http.Request;
        LoginAttempt attempt;
        if (!string.IsNullOrEmpty(request.Headers.Authorization))
        {
            string header = request.Headers.Authorization!;
            if (!header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase))
                return Refused("The Authorization header must be 'Bearer <token>'.");
            attempt = new LoginAttempt(header["Bearer ".Length..].Trim(), false, null);
        }
        else if (request.HasFormContentType)
        {
            // The login page's form: a plain form post, which another site could also make.
            if (!SameOrigin.FromThisHost(request))
                return TypedResults.Problem(Problems.Problems.Forbidden("Log in from Runtime's own login page; this form was posted from another site."));
            var form = await request.ReadFormAsync(http.RequestAborted);
            attempt = new LoginAttempt(form["token"].ToString().Trim(), true, form["returnUrl"].ToString());
        }
        else if (request.HasJsonContentType())
        {
            CreateSessionRequest? body;
            try
            {
                body = await request.ReadFromJsonAsync<CreateSessionRequest>(json.Value.SerializerOptions, http.RequestAborted);
            }
            catch (JsonException e)
            {
                return TypedResults.Problem(Problems.Problems.Create(StatusCodes.Status400BadRequest, "bad-request", "Unreadable request",
                    $"The request body is not valid JSON for this endpoint: {e.Message} Send {{\"token\": \"rt_…\"}}."));
            }
            attempt = new LoginAttempt(body?.Token?.Trim(), false, null);
        }
        else
        {
            attempt = new LoginAttempt(null, false, null);
        }

        if (string.IsNullOrEmpty(attempt.Token))
            return Refused(SessionCookieHandler.LoginHint, attempt);

        var check = await tokens.CheckAsync(attempt.Token, http.RequestAborted);
        if (check.Caller is not { } caller)
        {
            LogLoginRefused(loggers.CreateLogger(typeof(SessionEndpoints)), check.Rejection!.Value);
            return Refused(TokenRejections.Describe(check.Rejection.Value), attempt);
        }

        cookies.Issue(http, caller, ApiTokens.Hash(attempt.Token));
        if (attempt.FromForm && IsAppPath(attempt.ReturnUrl))
        {
            http.Response.Headers.Location = attempt.ReturnUrl;
            return TypedResults.StatusCode(StatusCodes.Status303SeeOther);
        }
        return TypedResults.NoContent();
    }

    private static IResult Delete(HttpContext http, SessionCookie cookies)
    {
        cookies.Clear(http);
        return TypedResults.NoContent();
    }

    // A person who typed a wrong token into the login page gets the page again, with the reason.
    private static IResult Refused(string detail, LoginAttempt? attempt = null) =>
        attempt is { FromForm: true } && IsAppPath(attempt.ReturnUrl)
            ? new LoginPageResult(detail, attempt.ReturnUrl!)
            : TypedResults.Problem(Problems.Problems.Unauthorized(detail));

    // Only back into /apps on this host: the form's returnUrl must not make the login an open redirect.
    private static bool IsAppPath(string? url) =>
        url is not null && url.StartsWith(AppProxy.Prefix + "/", StringComparison.Ordinal) && !url.Contains('\\')
        && Uri.IsWellFormedUriString(url, UriKind.Relative);

    private sealed class LoginPageResult(string failure, string returnUrl) : IResult
    {
        public Task ExecuteAsync(HttpContext httpContext)
        {
            httpContext.Response.StatusCode = StatusCodes.Status401Unauthorized;
            httpContext.Response.Headers.CacheControl = "no-store";
            return ProxyPages.LoginAsync(httpContext, failure, returnUrl);
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Refused to start a browser session: the token is {Rejection}")]
    private static partial void LogLoginRefused(ILogger logger, TokenRejection rejection);
}
