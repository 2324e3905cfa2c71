using System.Text.Encodings.Web;
using Microsoft.AspNetCore.Authentication;
using Microsoft.Extensions.Options;
using Runtime.Api.Proxy;
using Runtime.Grains.Tokens;

namespace Runtime.Api.Auth;

/// <summary>
/// Authenticates the browser session cookie (<see cref="SessionCookie"/>) on /apps. Refusals are 401s:
/// a login page for browsers, ProblemDetails for everything else, and a dead cookie is cleared.
/// </summary>
internal sealed partial class SessionCookieHandler(
    IOptionsMonitor<AuthenticationSchemeOptions> options,
    ILoggerFactory loggerFactory,
    UrlEncoder encoder,
    SessionCookie cookies,
    TokenChecks tokens,
    IProblemDetailsService problems) : AuthenticationHandler<AuthenticationSchemeOptions>(options, loggerFactory, encoder)
{
    public const string SchemeName = "Session";

    public const string LoginHint =
        "Send an API token as 'Authorization: Bearer rt_…', or start a browser session with POST /api/session (the token as a bearer header or as JSON {\"token\": \"rt_…\"}).";

    private string? _failure;

    protected override async Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        if (!Request.Cookies.TryGetValue(SessionCookie.Name, out var value) || string.IsNullOrEmpty(value))
            return AuthenticateResult.NoResult();

        var session = cookies.Read(value);
        if (session.TokenHash is null)
        {
            LogRefusedCookie(Logger, session.Refusal!.Value, Request.Method, Request.Path);
            return Fail(session.Refusal == SessionRefusal.Expired
                ? "Your browser session has expired. Log in again."
                : "Your session cookie is not valid (it was altered, or made by another Runtime installation). Log in again.");
        }

        var check = await tokens.CheckHashAsync(session.TokenHash, Context.RequestAborted);
        if (check.Caller is { } caller)
        {
            Context.Items[typeof(Caller)] = caller;
            return AuthenticateResult.Success(new AuthenticationTicket(CallerClaims.ToPrincipal(caller, SchemeName), SchemeName));
        }
        LogRefusedToken(Logger, check.Rejection!.Value, Request.Method, Request.Path);
        return Fail("The token behind your browser session no longer works. " + TokenRejections.Describe(check.Rejection.Value));
    }

    protected override async Task HandleChallengeAsync(AuthenticationProperties properties)
    {
        Response.StatusCode = StatusCodes.Status401Unauthorized;
        Response.Headers.WWWAuthenticate = "Bearer";
        Response.Headers.CacheControl = "no-store";
        // A cookie that will never work again is dropped, so the browser stops presenting it.
        if (_failure is not null)
            cookies.Clear(Context);
        if (ProxyPages.Wanted(Request))
        {
            await ProxyPages.LoginAsync(Context, _failure, Request.PathBase + Request.Path + Request.QueryString);
            return;
        }
        await problems.WriteAsync(new ProblemDetailsContext
        {
            HttpContext = Context,
            ProblemDetails = Problems.Problems.Unauthorized(_failure is null ? LoginHint : _failure + " " + LoginHint),
        });
    }

    private AuthenticateResult Fail(string reason)
    {
        _failure = reason;
        return AuthenticateResult.Fail(reason);
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Refused a session cookie ({Refusal}) on {Method} {Path}")]
    private static partial void LogRefusedCookie(ILogger logger, SessionRefusal refusal, string method, string path);

    [LoggerMessage(Level = LogLevel.Information, Message = "Refused a session whose token is {Rejection} on {Method} {Path}")]
    private static partial void LogRefusedToken(ILogger logger, TokenRejection rejection, string method, string path);
}
