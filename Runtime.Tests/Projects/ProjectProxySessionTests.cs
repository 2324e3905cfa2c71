using System.Net;
using System.Net.Http.Json;
using System.Net.WebSockets;
using System.Text;
using System.Text.RegularExpressions;
using Runtime.Api.Auth;
using Runtime.Tests.Api;
using Runtime.Tests.Infrastructure;
using Xunit;

namespace Runtime.Tests.Projects;

/// <summary>
/// A real app behind the proxy, reached the way a browser does: over a real port, with a cookie jar and
/// no Authorization header, and over WebSockets (which Streamlit needs).
/// </summary>
public sealed partial class ProjectProxySessionTests(ApiFixture api) : IClassFixture<ApiFixture>, IAsyncLifetime
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(20);

    private TestSilo _silo = null!;

    public async Task InitializeAsync() => _silo = await api.Database.StartSiloAsync("silo-proxy-session");

    public async Task DisposeAsync() => await _silo.DisposeAsync();

    private Uri Address => api.ListeningAddress;

    [Fact]
    public async Task SessionCookie_OpensTheApp_WhichSeesNeitherTheCookieNorAToken_UntilTheTokenIsRevoked()
    {
        var slug = await DeployEchoAppAsync();
        var (_, token, tokenId) = await api.MemberWithTokenAsync("Viewer");
        var cookies = new CookieContainer();
        using var browser = Browser(cookies);
        Assert.Equal(204, (int)(await browser.PostAsJsonAsync("/api/session", new { token })).StatusCode);
        cookies.Add(Address, new Cookie("theme", "dark", "/"));
        var session = cookies.GetCookies(Address)[SessionCookie.Name]!.Value;

        Assert.Equal("websocket echo page", await browser.GetStringAsync($"/apps/default/{slug}/"));
        Assert.Equal("authorization=none cookie=theme=dark", await browser.GetStringAsync($"/apps/default/{slug}/whoami"));

        // The app's own cookie reaches the browser; the session cookie it tried to set does not.
        Assert.Equal("compact", cookies.GetCookies(Address)["app_pref"]?.Value);
        Assert.Equal(session, cookies.GetCookies(Address)[SessionCookie.Name]?.Value);

        // Revoked through the other Api node: this one forgets what it remembered when the change feed tells it, milliseconds later.
        Assert.Equal(200, (int)(await api.Owner().PostAsJsonAsync($"/api/workspaces/default/tokens/{tokenId}/revoke", new { reason = "left" })).StatusCode);
        var refused = await Eventually.Get(() => browser.GetAsync($"/apps/default/{slug}/"), r => (int)r.StatusCode == 401, TimeSpan.FromSeconds(5), "the revoked session to be refused");
        await refused.AssertProblem(401, "unauthorized");
    }

    [Fact]
    public async Task WebSocket_ThroughTheProxy_Echoes_WithABearerToken_OrTheSessionCookie_AndTheAppSeesNeither()
    {
        var slug = await DeployEchoAppAsync();
        var endpoint = WebSocketUri(slug);
        using var timeout = new CancellationTokenSource(Timeout);

        using (var bearer = new ClientWebSocket())
        {
            bearer.Options.SetRequestHeader("Authorization", $"Bearer {api.OwnerToken}");
            await bearer.ConnectAsync(endpoint, timeout.Token);
            Assert.Equal("echo: hello", await RoundTripAsync(bearer, "hello", timeout.Token));
            Assert.Equal("authorization=none cookie=none", await RoundTripAsync(bearer, "handshake", timeout.Token));
            await bearer.CloseAsync(WebSocketCloseStatus.NormalClosure, "done", timeout.Token);
        }

        using var browser = new ClientWebSocket();
        browser.Options.Cookies = await SessionAsync(api.OwnerToken);
        browser.Options.SetRequestHeader("Origin", Address.GetLeftPart(UriPartial.Authority));
        await browser.ConnectAsync(endpoint, timeout.Token);
        Assert.Equal("echo: from a browser", await RoundTripAsync(browser, "from a browser", timeout.Token));
        Assert.Equal("authorization=none cookie=none", await RoundTripAsync(browser, "handshake", timeout.Token));
        await browser.CloseAsync(WebSocketCloseStatus.NormalClosure, "done", timeout.Token);
        Assert.Equal(WebSocketCloseStatus.NormalClosure, browser.CloseStatus);
    }

    [Fact]
    public async Task WebSocket_WithoutASession_OrFromAnotherSitesPage_IsRefused()
    {
        var slug = await DeployEchoAppAsync();
        var cookies = await SessionAsync(api.OwnerToken);

        Assert.Equal(HttpStatusCode.Unauthorized, await RefusedHandshakeAsync(slug, null, null));
        // SameSite=Lax keeps real browsers from sending the cookie here; the Origin check stops any that still would.
        Assert.Equal(HttpStatusCode.Forbidden, await RefusedHandshakeAsync(slug, cookies, "https://evil.example"));
        Assert.Equal(HttpStatusCode.Forbidden, await RefusedHandshakeAsync(slug, cookies, "null"));
    }

    [Fact]
    public async Task LoginPage_LogsABrowserIn_AndSendsItBackToTheApp()
    {
        var slug = await DeployEchoAppAsync();
        var cookies = new CookieContainer();
        using var browser = Browser(cookies, followRedirects: true);
        browser.DefaultRequestHeaders.Accept.ParseAdd("text/html");

        using var page = await browser.GetAsync($"/apps/default/{slug}/?view=full");
        Assert.Equal(401, (int)page.StatusCode);
        var html = await page.Content.ReadAsStringAsync();
        var action = FormAction().Match(html).Groups[1].Value;
        var returnUrl = WebUtility.HtmlDecode(ReturnUrl().Match(html).Groups[1].Value);

        using var back = await browser.PostAsync(action, new FormUrlEncodedContent(new Dictionary<string, string> { ["token"] = api.OwnerToken, ["returnUrl"] = returnUrl }));

        Assert.Equal(200, (int)back.StatusCode);
        Assert.Equal(new Uri(Address, $"/apps/default/{slug}/?view=full"), back.RequestMessage!.RequestUri);
        Assert.Equal("websocket echo page", await back.Content.ReadAsStringAsync());
    }

    private HttpClient Browser(CookieContainer cookies, bool followRedirects = false) =>
        new(new SocketsHttpHandler { CookieContainer = cookies, UseCookies = true, AllowAutoRedirect = followRedirects, UseProxy = false }) { BaseAddress = Address };

    // A cookie jar holding a session started with token.
    private async Task<CookieContainer> SessionAsync(string token)
    {
        var cookies = new CookieContainer();
        using var browser = Browser(cookies);
        Assert.Equal(204, (int)(await browser.PostAsJsonAsync("/api/session", new { token })).StatusCode);
        return cookies;
    }

    private Uri WebSocketUri(string slug) => new UriBuilder(Address) { Scheme = "ws", Path = $"/apps/default/{slug}/ws" }.Uri;

    private async Task<HttpStatusCode> RefusedHandshakeAsync(string slug, CookieContainer? cookies, string? origin)
    {
        using var socket = new ClientWebSocket();
        socket.Options.CollectHttpResponseDetails = true;
        socket.Options.Cookies = cookies;
        if (origin is not null)
            socket.Options.SetRequestHeader("Origin", origin);
        using var timeout = new CancellationTokenSource(Timeout);
        await Assert.ThrowsAsync<WebSocketException>(() => socket.ConnectAsync(WebSocketUri(slug), timeout.Token));
        return socket.HttpStatusCode;
    }

    internal static async Task<string> RoundTripAsync(ClientWebSocket socket, string text, CancellationToken ct)
    {
        await socket.SendAsync(Encoding.UTF8.GetBytes(text), WebSocketMessageType.Text, endOfMessage: true, ct);
        var buffer = new byte[4096];
        var received = new MemoryStream();
        ValueWebSocketReceiveResult result;
        do
        {
            result = await socket.ReceiveAsync(buffer.AsMemory(), ct);
            received.Write(buffer, 0, result.Count);
        }
        while (!result.EndOfMessage);
        Assert.Equal(WebSocketMessageType.Text, result.MessageType);
        return Encoding.UTF8.GetString(received.ToArray());
    }

    private async Task<string> DeployEchoAppAsync()
    {
        using var repository = GitTestRepository.Create(new Dictionary<string, string> { ["app.py"] = TestApps.WebSocketEcho });
        var created = await api.Owner().PostAsJsonAsync("/api/workspaces/default/projects", new
        {
            name = "Echo " + Guid.NewGuid().ToString("N")[..8], appType = "dash", pythonEnvironment = "default", repositoryUrl = repository.FileUrl, branch = "main", path = "app.py",
        });
        Assert.True(201 == (int)created.StatusCode, await created.Content.ReadAsStringAsync());
        var slug = (await created.Json()).GetProperty("slug").GetString()!;
        Assert.Equal(202, (int)(await api.Owner().PostAsync($"/api/workspaces/default/projects/{slug}/deploy", null)).StatusCode);
        await Eventually.Get(async () => await (await api.Owner().GetAsync($"/api/workspaces/default/projects/{slug}")).Json(),
            p => p.GetProperty("status").GetString() == "Deployed", TimeSpan.FromSeconds(40), $"{slug} to be Deployed");
        return slug;
    }

    [GeneratedRegex("<form method=\"post\" action=\"([^\"]+)\"")]
    private static partial Regex FormAction();

    [GeneratedRegex("name=\"returnUrl\" value=\"([^\"]+)\"")]
    private static partial Regex ReturnUrl();
}
