using Runtime.Grains.Caching;
using Microsoft.AspNetCore.Authentication;
using Runtime.Api.Auth;

namespace Runtime.Api.Extensions;

/// <summary>
/// Who may call what: /api takes bearer tokens only (no cookie, so no cross-site request can use it);
/// /apps takes a bearer token or a browser session, whichever the request carries.
/// </summary>
public static class AuthenticationExtensions
{
    /// <summary>The scheme of /apps: the bearer token when an Authorization header is sent, else the session cookie.</summary>
    public const string AppsScheme = "BearerOrSession";

    /// <summary>The authorization policy of /apps: an authenticated member by either scheme.</summary>
    public const string AppsPolicy = "apps";

    public static IServiceCollection AddRuntimeAuthentication(this IServiceCollection services)
    {
        services.AddOptions<BrowserSessionOptions>().BindConfiguration(BrowserSessionOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        services.AddSingleton<SessionCookie>();
        services.AddSingleton<TokenChecks>();
        services.AddChangeFeed();
        services.AddAuthentication(BearerTokenHandler.SchemeName)
            .AddScheme<AuthenticationSchemeOptions, BearerTokenHandler>(BearerTokenHandler.SchemeName, null)
            .AddScheme<AuthenticationSchemeOptions, SessionCookieHandler>(SessionCookieHandler.SchemeName, null)
            .AddPolicyScheme(AppsScheme, "Bearer token or browser session", o => o.ForwardDefaultSelector = http =>
                string.IsNullOrEmpty(http.Request.Headers.Authorization) ? SessionCookieHandler.SchemeName : BearerTokenHandler.SchemeName);
        services.AddAuthorizationBuilder()
            .AddPolicy(AppsPolicy, policy => policy.AddAuthenticationSchemes(AppsScheme).RequireAuthenticatedUser());
        return services;
    }
}
