using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Runtime.Tests.Api;
using Runtime.Tests.Infrastructure;
using Runtime.Tests.Projects;
using Xunit;

namespace Runtime.Tests.Jobs;

/// <summary>Interactive jobs: a script served as an app through /jobs/…, stopped when idle, started again by a visit, opened by a public link.</summary>
public sealed class InteractiveJobTests(ApiFixture api) : IClassFixture<ApiFixture>, IAsyncLifetime
{
    private TestSilo _silo = null!;

    public async Task InitializeAsync() => _silo = await api.Database.StartSiloAsync("silo-interactive");

    public async Task DisposeAsync() => await _silo.DisposeAsync();

    // A project whose repository holds serve.py (a Flask app that answers /env with its settings), fetched but not deployed.
    private async Task<(string Project, string Slug, GitTestRepository Repository)> ProjectAsync()
    {
        var repository = GitTestRepository.Create(new Dictionary<string, string> { ["app.py"] = TestAppsForJobs.Idle, ["serve.py"] = TestApps.Settings, ["ws.py"] = TestApps.WebSocketEcho, ["mcp.py"] = McpLike });
        var (project, slug) = await api.PulledProjectAsync(repository.FileUrl, "Serve");
        return (project, slug, repository);
    }

    // A server that answers only <base>/mcp (404 anywhere else), as an MCP server does: no health path to probe.
    private const string McpLike = """
        import os
        from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
        base = os.environ["RUNTIME_BASE_PATH"]
        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):
                if self.path != base + "mcp":
                    self.send_error(404)
                    return
                body = b"mcp here"
                self.send_response(200)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)
        ThreadingHTTPServer((os.environ["HOST"], int(os.environ["PORT"])), Handler).serve_forever()
        """;

    private async Task<JsonElement> InteractiveJobAsync(string project, int idleTimeoutSeconds, string path = "serve.py", string? appType = null)
    {
        var response = await api.Owner().PostAsJsonAsync($"{project}/jobs", new { name = "explore", path, interactive = true, idleTimeoutSeconds, appType });
        Assert.True(201 == (int)response.StatusCode, await response.Content.ReadAsStringAsync());
        return await response.Json();
    }

    private async Task<List<JsonElement>> RunsAsync(string project) =>
        (await (await api.Owner().GetAsync($"{project}/jobs/explore/runs")).Json()).GetProperty("items").EnumerateArray().ToList();

    // Visits until the app answers: the first visit of a stopped job answers "starting" and starts it.
    private static Task<HttpResponseMessage> OpenAsync(HttpClient client, string url) =>
        Eventually.Get(() => client.GetAsync(url), r => r.StatusCode == HttpStatusCode.OK, TimeSpan.FromSeconds(40), $"{url} to answer");

    [Fact]
    public async Task InteractiveJob_IsServedOnVisit_StopsWhenIdle_AndTheNextVisitStartsItAgain()
    {
        var (project, slug, repository) = await ProjectAsync();
        using var repo = repository;
        var owner = api.Owner();
        Assert.Equal(200, (int)(await owner.PutAsJsonAsync($"{project}/variables/REGION", new { value = "eu-west-1" })).StatusCode);
        Assert.Equal(200, (int)(await owner.PutAsJsonAsync($"{project}/variables/PROD_ONLY?profile=prod", new { value = "prod" })).StatusCode);
        var files = new Dictionary<string, string> { ["config.toml"] = "x = 1\n", ["access.secrets.toml"] = "token = \"a\"\n", ["prod.secrets.toml"] = "token = \"p\"\n" };
        Assert.Equal(201, (int)(await owner.PostAsJsonAsync($"{project}/configurations", new { files })).StatusCode);
        var job = await InteractiveJobAsync(project, idleTimeoutSeconds: 2);
        var url = job.GetProperty("url").GetString()!;
        Assert.Equal($"/jobs/default/{slug}/explore/", url);
        Assert.True(job.GetProperty("interactive").GetBoolean());
        Assert.Equal(2, job.GetProperty("idleTimeoutSeconds").GetInt32());

        // Not running: the first visit starts it and says so.
        var starting = await owner.GetAsync(url);
        var problem = await starting.AssertProblem(503, "app-starting");
        Assert.Equal("1", starting.Headers.GetValues("Retry-After").Single());
        Assert.Contains("started", problem.GetProperty("detail").GetString());
        Assert.Equal("hello from settings", await (await OpenAsync(owner, url)).Content.ReadAsStringAsync());

        // It runs with the access profile, not the prod one.
        var environment = JsonDocument.Parse(await owner.GetStringAsync(url + "env")).RootElement;
        Assert.Equal("eu-west-1", environment.GetProperty("REGION").GetString());
        Assert.Equal(JsonValueKind.Null, environment.GetProperty("PROD_ONLY").ValueKind);
        Assert.Equal("access", environment.GetProperty("RUNTIME_PROFILE").GetString());
        Assert.Equal(["access.secrets.toml", "config.toml"], environment.GetProperty("DLT_FILES").EnumerateArray().Select(f => f.GetString()));
        var first = Assert.Single(await RunsAsync(project));
        Assert.Equal(1, first.GetProperty("configurationVersion").GetInt32());
        Assert.Equal("visit", first.GetProperty("trigger").GetString());
        Assert.Equal("Running", first.GetProperty("status").GetString());

        // Used every half second for longer than its idle timeout: it keeps running.
        for (var i = 0; i < 8; i++)
        {
            Assert.Equal(HttpStatusCode.OK, (await owner.GetAsync(url)).StatusCode);
            await Task.Delay(500);
        }
        Assert.Equal("Running", Assert.Single(await RunsAsync(project)).GetProperty("status").GetString());

        // Unused: stopped after its idle timeout; the run completes and says why.
        var stopped = await Eventually.Get(async () => (await RunsAsync(project)).Single(),
            r => r.GetProperty("status").GetString() == "Completed", TimeSpan.FromSeconds(15), "the idle app to stop");
        Assert.Equal("stopped after 2 s with no visit", stopped.GetProperty("reason").GetString());

        // The next visit starts it again, as a second run.
        await (await owner.GetAsync(url)).AssertProblem(503, "app-starting");
        Assert.Equal("hello from settings", await (await OpenAsync(owner, url)).Content.ReadAsStringAsync());
        var runs = await RunsAsync(project);
        Assert.Equal(2, runs.Count);
        Assert.Equal(2, runs[0].GetProperty("number").GetInt32());
        Assert.Equal("Running", runs[0].GetProperty("status").GetString());
    }

    [Fact]
    public async Task InteractiveJob_OfTypePython_ServesAnyServer_ReadyOnceItAcceptsConnections()
    {
        var (project, _, repository) = await ProjectAsync();
        using var repo = repository;
        var url = (await InteractiveJobAsync(project, idleTimeoutSeconds: 60, path: "mcp.py", appType: "python")).GetProperty("url").GetString()!;
        Assert.Equal("mcp here", await (await OpenAsync(api.Owner(), url + "mcp")).Content.ReadAsStringAsync());
        Assert.Equal(HttpStatusCode.NotFound, (await api.Owner().GetAsync(url)).StatusCode); // the app's own 404, proxied
    }

    [Fact]
    public async Task InteractiveJob_WithAnOpenWebSocket_IsNotIdle()
    {
        var (project, _, repository) = await ProjectAsync();
        using var repo = repository;
        var url = (await InteractiveJobAsync(project, idleTimeoutSeconds: 2, path: "ws.py")).GetProperty("url").GetString()!;
        // The listening Api starts on first use, which may take longer than the idle timeout: before the app starts.
        var endpoint = new UriBuilder(api.ListeningAddress) { Scheme = "ws", Path = url + "ws" }.Uri;
        await OpenAsync(api.Owner(), url);
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        // A loaded machine may let the app idle out between the first visit and the socket's connect: the
        // socket's own visit then starts it again (503 until it is up), as a browser's retry would.
        var socket = await ConnectAsync(endpoint, timeout.Token);
        using (socket)
        {
            var serving = Newest(await RunsAsync(project));
            Assert.Equal("Running", serving.GetProperty("status").GetString());
            // Open, silent, for twice the idle timeout: still the same run, still answering.
            await Task.Delay(TimeSpan.FromSeconds(4), timeout.Token);
            Assert.Equal("echo: still here", await ProjectProxySessionTests.RoundTripAsync(socket, "still here", timeout.Token));
            var now = Newest(await RunsAsync(project));
            Assert.Equal(serving.GetProperty("id").GetString(), now.GetProperty("id").GetString());
            Assert.Equal("Running", now.GetProperty("status").GetString());
            await socket.CloseAsync(System.Net.WebSockets.WebSocketCloseStatus.NormalClosure, "done", timeout.Token);
        }
        // Closed: idle from then on.
        await Eventually.Get(async () => Newest(await RunsAsync(project)),
            r => r.GetProperty("status").GetString() == "Completed", TimeSpan.FromSeconds(15), "the app to stop once its socket closed");
    }

    private static JsonElement Newest(IEnumerable<JsonElement> runs) => runs.MaxBy(r => r.GetProperty("number").GetInt32());

    private async Task<System.Net.WebSockets.ClientWebSocket> ConnectAsync(Uri endpoint, CancellationToken cancellationToken)
    {
        while (true)
        {
            var socket = new System.Net.WebSockets.ClientWebSocket();
            socket.Options.SetRequestHeader("Authorization", $"Bearer {api.OwnerToken}");
            try
            {
                await socket.ConnectAsync(endpoint, cancellationToken);
                return socket;
            }
            // 503: starting. 502: the connect reached an app its idle stop was just ending, a moment before
            // the run was marked ended; a browser retries both.
            catch (System.Net.WebSockets.WebSocketException e) when (e.Message.Contains("'503'", StringComparison.Ordinal) || e.Message.Contains("'502'", StringComparison.Ordinal))
            {
                socket.Dispose();
                await Task.Delay(TimeSpan.FromMilliseconds(250), cancellationToken);
            }
        }
    }

    [Fact]
    public async Task PublicLink_OpensTheAppWithoutAToken_AndStopsWorkingOnceDisabled()
    {
        var (project, _, repository) = await ProjectAsync();
        using var repo = repository;
        var job = await InteractiveJobAsync(project, idleTimeoutSeconds: 60);
        var url = job.GetProperty("url").GetString()!;

        // Without a token or a link: the login page's 401.
        var stranger = api.Browser();
        Assert.Equal(HttpStatusCode.Unauthorized, (await stranger.GetAsync(url)).StatusCode);

        var enabled = await api.Owner().PutAsJsonAsync($"{project}/jobs/explore/public-link", new { expiresInSeconds = 3600 });
        Assert.True(enabled.IsSuccessStatusCode, await enabled.Content.ReadAsStringAsync());
        var link = new Uri((await enabled.Json()).GetProperty("url").GetString()!).PathAndQuery;
        Assert.StartsWith("/p/pl_", link);
        var view = await (await api.Owner().GetAsync($"{project}/jobs/explore/public-link")).Json();
        Assert.True(view.GetProperty("enabled").GetBoolean());
        Assert.False(view.TryGetProperty("token", out _));

        // The link sets a cookie for the job's address and sends the browser there; the visit starts the app.
        var opened = await stranger.GetAsync(link + "env?x=1");
        Assert.Equal(HttpStatusCode.Redirect, opened.StatusCode);
        Assert.Equal(url + "env?x=1", opened.Headers.Location!.OriginalString);
        Assert.Equal("hello from settings", await (await OpenAsync(stranger, url)).Content.ReadAsStringAsync());
        // The link's cookie is Runtime's, not the app's: the app never sees it.
        var whoami = await stranger.GetStringAsync(url + "whoami");
        Assert.StartsWith("authorization=none", whoami);

        Assert.Equal(200, (int)(await api.Owner().DeleteAsync($"{project}/jobs/explore/public-link")).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await stranger.GetAsync(url)).StatusCode);
        await (await api.Client(null).GetAsync(link)).AssertProblem(404, "link-not-valid");
        // Members still open it with their token.
        Assert.Equal(HttpStatusCode.OK, (await api.Owner().GetAsync(url)).StatusCode);
    }

    [Fact]
    public async Task PublicLink_StopsWorkingWhenItExpires()
    {
        var (project, _, repository) = await ProjectAsync();
        using var repo = repository;
        await InteractiveJobAsync(project, idleTimeoutSeconds: 60);
        var enabled = await (await api.Owner().PutAsJsonAsync($"{project}/jobs/explore/public-link", new { expiresInSeconds = 1 })).Json();
        var link = new Uri(enabled.GetProperty("url").GetString()!).PathAndQuery;
        await Task.Delay(1500);
        var expired = await (await api.Client(null).GetAsync(link)).AssertProblem(410, "link-not-valid");
        Assert.Contains("expired", expired.GetProperty("detail").GetString());
    }

    [Fact]
    public async Task InteractiveJob_BadInputs_Are400Or409_AndNothingIsCreated()
    {
        var (project, _, repository) = await ProjectAsync();
        using var repo = repository;
        var owner = api.Owner();
        async Task Field(HttpResponseMessage response, string field)
        {
            var problem = await response.AssertProblem(400, "validation");
            Assert.True(problem.GetProperty("errors").TryGetProperty(field, out _), await response.Content.ReadAsStringAsync());
        }
        await Field(await owner.PostAsJsonAsync($"{project}/jobs", new { name = "a", path = "serve.py", appType = "dash" }), "appType");
        await Field(await owner.PostAsJsonAsync($"{project}/jobs", new { name = "a", path = "serve.py", interactive = true, appType = "jupyter" }), "appType");
        await Field(await owner.PostAsJsonAsync($"{project}/jobs", new { name = "a", path = "serve.py", interactive = true, idleTimeoutSeconds = 0 }), "idleTimeoutSeconds");
        await Field(await owner.PostAsJsonAsync($"{project}/jobs", new { name = "a", path = "serve.py", interactive = true, schedule = new { cron = "* * * * *" } }), "schedule");
        Assert.Empty((await (await owner.GetAsync($"{project}/jobs")).Json()).EnumerateArray());

        Assert.Equal(201, (int)(await owner.PostAsJsonAsync($"{project}/jobs", new { name = "app", path = "app.py" })).StatusCode);
        await (await owner.PutAsJsonAsync($"{project}/jobs/app/public-link", new { })).AssertProblem(409, "illegal-transition");
        await Field(await owner.PatchAsJsonAsync($"{project}/jobs/app", new { idleTimeoutSeconds = 10 }), "idleTimeoutSeconds");

        await InteractiveJobAsync(project, idleTimeoutSeconds: 60);
        await Field(await owner.PutAsJsonAsync($"{project}/jobs/explore/public-link", new { expiresAt = DateTimeOffset.UtcNow.AddMinutes(-1) }), "expiresAt");
        await Field(await owner.PutAsJsonAsync($"{project}/jobs/explore/public-link", new { expiresAt = DateTimeOffset.UtcNow.AddDays(1), expiresInSeconds = 60 }), "expiresAt");
        await Field(await owner.PatchAsJsonAsync($"{project}/jobs/explore", new { schedule = new { cron = "* * * * *" } }), "schedule");
        var (_, memberToken, _) = await api.MemberWithTokenAsync("Member");
        await (await api.Client(memberToken).PutAsJsonAsync($"{project}/jobs/explore/public-link", new { })).AssertProblem(403, "forbidden");
        Assert.False((await (await owner.GetAsync($"{project}/jobs/explore/public-link")).Json()).GetProperty("enabled").GetBoolean());

        // Serving a path that a batch job (named after it) runs is a conflict; the first serve of a new path creates its interactive job.
        await (await owner.PostAsJsonAsync($"{project}/serve", new { path = "app.py" })).AssertProblem(409, "conflict");
        var served = await owner.PostAsJsonAsync($"{project}/serve", new { path = "serve.py", idleTimeoutSeconds = 60 });
        Assert.True(202 == (int)served.StatusCode, await served.Content.ReadAsStringAsync());
        Assert.EndsWith("/serve/", (await served.Json()).GetProperty("url").GetString());
    }
}
