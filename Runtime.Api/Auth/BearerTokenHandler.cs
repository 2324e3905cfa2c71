using System.Text.Encodings.Web;
using Microsoft.AspNetCore.Authentication;
using Microsoft.Extensions.Options;
using Runtime.Api.Problems;
using Runtime.Grains.Tokens;

namespace Runtime.Api.Auth;

/// <summary>
/// Authenticates <c>Authorization: Bearer rt_…</c> against the stored token hashes. Refusals are 401
/// ProblemDetails that say which of missing, unknown, expired, revoked applies and what to do.
/// </summary>
internal sealed partial class BearerTokenHandler(
    IOptionsMonitor<AuthenticationSchemeOptions> options,
    ILoggerFactory loggerFactory,
    UrlEncoder encoder,
    TokenChecks tokens,
    IProblemDetailsService problems) : AuthenticationHandler<AuthenticationSchemeOptions>(options, loggerFactory, encoder)
{
    public const string SchemeName = "Bearer";

    private string? _failure;

    protected override async Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        string? header = Request.Headers.Authorization;
        // Probes are anonymous: a token sent along must not make /health depend on checking it, which
        // needs the database, and fail with 500 where /health's own database check says 503.
        if (string.IsNullOrEmpty(header) || Request.Path.StartsWithSegments("/health") || Request.Path.StartsWithSegments("/alive"))
            return AuthenticateResult.NoResult();
        if (!header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase))
            return Fail("The Authorization header must be 'Bearer <token>'.");

        var check = await tokens.CheckAsync(header["Bearer ".Length..].Trim(), Context.RequestAborted);
        if (check.Caller is { } caller)
        {
            Context.Items[typeof(Caller)] = caller;
            return AuthenticateResult.Success(new AuthenticationTicket(CallerClaims.ToPrincipal(caller, SchemeName), SchemeName));
        }
        LogRejected(Logger, check.Rejection!.Value, Request.Method, Request.Path);
        return Fail(TokenRejections.Describe(check.Rejection.Value));
    }

    protected override async Task HandleChallengeAsync(AuthenticationProperties properties)
    {
        Response.StatusCode = StatusCodes.Status401Unauthorized;
        Response.Headers.WWWAuthenticate = _failure is null ? "Bearer" : "Bearer error=\"invalid_token\"";
        var problem = Problems.Problems.Unauthorized(_failure
            ?? "Send an API token as 'Authorization: Bearer rt_…'. The AppHost prints the first Owner token and writes it to .runtime/owner-token.");
        await problems.WriteAsync(new ProblemDetailsContext { HttpContext = Context, ProblemDetails = problem });
    }

    protected override async Task HandleForbiddenAsync(AuthenticationProperties properties)
    {
        Response.StatusCode = StatusCodes.Status403Forbidden;
        await problems.WriteAsync(new ProblemDetailsContext
        {
            HttpContext = Context,
            ProblemDetails = Problems.Problems.Forbidden("Your role does not allow this. Ask a workspace Owner."),
        });
    }

    private AuthenticateResult Fail(string reason)
    {
        _failure = reason;
        return AuthenticateResult.Fail(reason);
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Refused a {Rejection} token on {Method} {Path}")]
    private static partial void LogRejected(ILogger logger, TokenRejection rejection, string method, string path);
}
