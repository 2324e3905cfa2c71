using System.Net.Http.Json;
using System.Security.Cryptography;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Runtime.Api.Auth;
using Runtime.Grains.Secrets;
using Runtime.Grains.Tokens;
using Runtime.Tests.Infrastructure;
using Xunit;

namespace Runtime.Tests.Api;

/// <summary>
/// Browser sessions without an app behind them: an authenticated request for an app that does not exist
/// is a 404, an unauthenticated one a 401, which is all these tests need to tell who the caller is.
/// </summary>
public sealed class SessionTests(ApiFixture api) : IClassFixture<ApiFixture>
{
    private const string NoSuchApp = "/apps/default/no-such-app/";

    [Fact]
    public async Task Login_WithABearerToken_SetsAnHttpOnlyLaxCookieThatHoldsNeitherTheTokenNorItsHash()
    {
        using var response = await api.Client(api.OwnerToken).PostAsync("/api/session", null);

        Assert.Equal(204, (int)response.StatusCode);
        var setCookie = Assert.Single(response.Headers.GetValues("Set-Cookie"));
        Assert.StartsWith(SessionCookie.Name + "=", setCookie);
        Assert.Contains("httponly", setCookie, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("samesite=lax", setCookie, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("path=/;", setCookie + ";", StringComparison.OrdinalIgnoreCase);
        Assert.Contains("expires=", setCookie, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("secure", setCookie, StringComparison.OrdinalIgnoreCase); // plain HTTP here
        Assert.DoesNotContain(api.OwnerToken, setCookie);
        Assert.DoesNotContain(ApiTokens.Hash(api.OwnerToken), setCookie);
    }

    [Fact]
    public async Task Login_WithAJsonToken_OpensAppsWithoutAnAuthorizationHeader_ButNotTheApi()
    {
        var browser = api.Browser();
        await (await browser.GetAsync(NoSuchApp)).AssertProblem(401, "unauthorized");

        Assert.Equal(204, (int)(await browser.PostAsJsonAsync("/api/session", new { token = api.OwnerToken })).StatusCode);

        await (await browser.GetAsync(NoSuchApp)).AssertProblem(404, "not-found");
        // The cookie is for /apps only: the API keeps to bearer tokens, which no other site can make a browser send.
        await (await browser.GetAsync("/api/me")).AssertProblem(401, "unauthorized");
    }

    [Fact]
    public async Task SessionOfARevokedToken_IsRefusedAtOnce_AndItsCookieCleared()
    {
        var (_, token, tokenId) = await api.MemberWithTokenAsync("Viewer");
        var browser = api.Browser();
        await browser.PostAsJsonAsync("/api/session", new { token });
        await (await browser.GetAsync(NoSuchApp)).AssertProblem(404, "not-found");

        Assert.Equal(200, (int)(await api.Owner().PostAsJsonAsync($"/api/workspaces/default/tokens/{tokenId}/revoke", new { reason = "left the team" })).StatusCode);
        using var refused = await browser.GetAsync(NoSuchApp);

        var problem = await refused.AssertProblem(401, "unauthorized");
        Assert.Contains("revoked", problem.GetProperty("detail").GetString());
        Assert.Contains(refused.Headers.GetValues("Set-Cookie"), c => c.StartsWith(SessionCookie.Name + "=;", StringComparison.Ordinal) && c.Contains("expires=Thu, 01 Jan 1970"));
    }

    [Fact]
    public async Task Logout_ClearsTheCookie()
    {
        var browser = api.Browser();
        await browser.PostAsJsonAsync("/api/session", new { token = api.OwnerToken });
        await (await browser.GetAsync(NoSuchApp)).AssertProblem(404, "not-found");

        Assert.Equal(204, (int)(await browser.DeleteAsync("/api/session")).StatusCode);

        await (await browser.GetAsync(NoSuchApp)).AssertProblem(401, "unauthorized");
    }

    public static TheoryData<string?, string?> BadLogins => new()
    {
        { null, null },                                   // nothing at all
        { "application/json", "{}" },                     // no token field
        { "application/json", "{\"token\": \"\"}" },
        { "application/json", "{\"token\": \"garbage\"}" },
        { "application/json", "{\"token\": \"rt_abc\"}" },
        { "application/json", $"{{\"token\": \"rt_{new string('A', 43)}\"}}" }, // well formed, unknown
        { "text/plain", "rt_something" },
    };

    [Theory]
    [MemberData(nameof(BadLogins))]
    public async Task Login_WithAMissingOrMalformedToken_Is401ProblemDetails_AndSetsNoCookie(string? contentType, string? body)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/api/session");
        if (body is not null)
            request.Content = new StringContent(body, System.Text.Encoding.UTF8, contentType!);

        using var response = await api.Browser().SendAsync(request);

        var problem = await response.AssertProblem(401, "unauthorized");
        Assert.Contains("rt_", problem.GetProperty("detail").GetString());
        Assert.False(response.Headers.Contains("Set-Cookie"));
    }

    [Fact]
    public async Task Login_WithANonBearerHeaderOrUnreadableJson_IsAClear4xx()
    {
        var basic = api.Browser();
        basic.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Basic", "dXNlcjpwYXNz");
        await (await basic.PostAsync("/api/session", null)).AssertProblem(401, "unauthorized");

        using var broken = new StringContent("{\"token\": ", System.Text.Encoding.UTF8, "application/json");
        await (await api.Browser().PostAsync("/api/session", broken)).AssertProblem(400, "bad-request");
    }

    public static TheoryData<string> ForgedCookies => new()
    {
        "garbage",
        "v1:deadbeef:AAAA",
        "v1:%%%:not base64",
        new string('x', 4000),
    };

    [Theory]
    [MemberData(nameof(ForgedCookies))]
    public async Task ForgedSessionCookie_Is401_NeverA500(string value)
    {
        using var response = await WithCookieAsync(NoSuchApp, value);

        var problem = await response.AssertProblem(401, "unauthorized");
        Assert.Contains("not valid", problem.GetProperty("detail").GetString());
    }

    [Fact]
    public async Task TamperedSessionCookie_Is401()
    {
        var value = await SessionValueAsync();
        var sealedBytes = Convert.FromBase64String(value.Split(':')[2]);
        sealedBytes[^1] ^= 1;
        var tampered = string.Join(':', value.Split(':')[..2]) + ":" + Convert.ToBase64String(sealedBytes);

        using (var genuine = await WithCookieAsync(NoSuchApp, value))
            await genuine.AssertProblem(404, "not-found");
        using var response = await WithCookieAsync(NoSuchApp, tampered);

        await response.AssertProblem(401, "unauthorized");
    }

    [Fact]
    public async Task SessionCookieSealedElsewhere_OrExpired_Is401()
    {
        var hash = ApiTokens.Hash(api.OwnerToken);
        var cipher = api.Services.GetRequiredService<SecretCipher>();
        var until = DateTimeOffset.UtcNow.AddHours(1).ToUnixTimeSeconds();

        // The same content sealed for another purpose (a project secret), or by another installation's key.
        var otherPurpose = cipher.Encrypt($"{hash}|{until}", "project/x/secret/API_KEY");
        var otherInstallation = new SecretCipher(new MasterKeys(RandomNumberGenerator.GetBytes(32))).Encrypt($"{hash}|{until}", "api/session-cookie/v1");
        // A session that began 13 hours ago, past the 12-hour lifetime.
        var expired = Issue(new SessionCookie(cipher, new FixedTime(DateTimeOffset.UtcNow.AddHours(-13)), Options.Create(new BrowserSessionOptions()), NullLogger<SessionCookie>.Instance), hash);

        foreach (var value in new[] { otherPurpose, otherInstallation })
            await (await WithCookieAsync(NoSuchApp, value)).AssertProblem(401, "unauthorized");
        var problem = await (await WithCookieAsync(NoSuchApp, expired)).AssertProblem(401, "unauthorized");
        Assert.Contains("expired", problem.GetProperty("detail").GetString());
    }

    [Fact]
    public async Task BrowserWithoutASession_GetsALoginPage_ApiClientsGetProblemDetails()
    {
        using var page = new HttpRequestMessage(HttpMethod.Get, "/apps/default/sales/?tab=2") { Headers = { { "Accept", "text/html,application/xhtml+xml" } } };
        using var response = await api.Browser().SendAsync(page);

        Assert.Equal(401, (int)response.StatusCode);
        Assert.Equal("text/html", response.Content.Headers.ContentType?.MediaType);
        var html = await response.Content.ReadAsStringAsync();
        Assert.Contains("Log in to open this app", html);
        Assert.Contains("action=\"/api/session\"", html);
        Assert.Contains("name=\"returnUrl\" value=\"/apps/default/sales/?tab=2\"", html);

        var problem = await (await api.Browser().GetAsync("/apps/default/sales/")).AssertProblem(401, "unauthorized");
        Assert.Contains("POST /api/session", problem.GetProperty("detail").GetString());
    }

    [Fact]
    public async Task LoginForm_SetsTheCookie_AndReturnsOnlyIntoApps()
    {
        var browser = api.Browser();
        using var wrong = await browser.PostAsync("/api/session", Form("rt_wrong", NoSuchApp));
        Assert.Equal(401, (int)wrong.StatusCode);
        Assert.Contains("not known", await wrong.Content.ReadAsStringAsync());

        using var login = await browser.PostAsync("/api/session", Form(api.OwnerToken, NoSuchApp + "?x=1"));
        Assert.Equal(303, (int)login.StatusCode);
        Assert.Equal(NoSuchApp + "?x=1", login.Headers.Location?.OriginalString);
        await (await browser.GetAsync(NoSuchApp)).AssertProblem(404, "not-found");

        // Anywhere but /apps on this host, the login is made and nothing redirects.
        foreach (var elsewhere in new[] { "https://evil.example/", "//evil.example/apps/", "/api/me", "/apps\\..\\x" })
            Assert.Equal(204, (int)(await api.Browser().PostAsync("/api/session", Form(api.OwnerToken, elsewhere))).StatusCode);
    }

    [Fact]
    public async Task LoginFormPostedFromAnotherSite_Is403()
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/api/session") { Content = Form(api.OwnerToken, NoSuchApp) };
        request.Headers.Add("Origin", "https://evil.example");

        using var response = await api.Browser().SendAsync(request);

        await response.AssertProblem(403, "forbidden");
        Assert.False(response.Headers.Contains("Set-Cookie"));
    }

    private static FormUrlEncodedContent Form(string token, string returnUrl) =>
        new(new Dictionary<string, string> { ["token"] = token, ["returnUrl"] = returnUrl });

    // The cookie's value (as sealed, unescaped) from a login with the Owner token.
    private async Task<string> SessionValueAsync()
    {
        using var response = await api.Client(api.OwnerToken).PostAsync("/api/session", null);
        var setCookie = Assert.Single(response.Headers.GetValues("Set-Cookie"));
        return Uri.UnescapeDataString(setCookie[(SessionCookie.Name.Length + 1)..setCookie.IndexOf(';')]);
    }

    // A request carrying only a session cookie of this value, escaped as ASP.NET Core writes it.
    private async Task<HttpResponseMessage> WithCookieAsync(string path, string value)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, path);
        request.Headers.Add("Cookie", $"{SessionCookie.Name}={Uri.EscapeDataString(value)}");
        return await api.Client(null).SendAsync(request);
    }

    private static string Issue(SessionCookie cookies, string hash)
    {
        var http = new DefaultHttpContext();
        cookies.Issue(http, new Caller(Guid.NewGuid(), Guid.NewGuid(), "default", Guid.NewGuid(), "a@example.com", Runtime.Grains.Workspaces.Role.Owner), hash);
        var setCookie = http.Response.Headers.SetCookie.ToString();
        return Uri.UnescapeDataString(setCookie[(SessionCookie.Name.Length + 1)..setCookie.IndexOf(';')]);
    }

    private sealed class FixedTime(DateTimeOffset now) : TimeProvider
    {
        public override DateTimeOffset GetUtcNow() => now;
    }
}
