using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Runtime.Tests.Api;
using Runtime.Tests.Infrastructure;
using Xunit;

namespace Runtime.Tests.Projects;

/// <summary>Variables, secrets and connections per profile, through the API and into a real app's environment.</summary>
public sealed class ProjectSettingsTests(ApiFixture api) : IClassFixture<ApiFixture>
{
    private async Task<string> CreateAsync(string url = "file:///nonexistent/repo.git", string app = "app.py")
    {
        var response = await api.Owner().PostAsJsonAsync("/api/workspaces/default/projects", new
        {
            name = "Settings " + Guid.NewGuid().ToString("N")[..8], appType = "dash", pythonEnvironment = "default", repositoryUrl = url, branch = "main", path = app,
        });
        Assert.True(201 == (int)response.StatusCode, await response.Content.ReadAsStringAsync());
        return $"/api/workspaces/default/projects/{(await response.Json()).GetProperty("slug").GetString()}";
    }

    [Fact]
    public async Task Settings_ArePerProfile_SecretsAreWriteOnly_AndConnectionsListTheirVariables()
    {
        var project = await CreateAsync();
        var secret = "s3cr3t-" + Guid.NewGuid().ToString("N");
        var password = "pa:ss@/" + Guid.NewGuid().ToString("N");

        var variable = await (await api.Owner().PutAsJsonAsync($"{project}/variables/REGION", new { value = "eu-west-1" })).Json();
        Assert.Equal("access", variable.GetProperty("profile").GetString());
        Assert.Equal("eu-west-1", variable.GetProperty("variables").GetProperty("REGION").GetString());
        Assert.Equal(JsonValueKind.Null, variable.GetProperty("notice").ValueKind);

        var response = await api.Owner().PutAsJsonAsync($"{project}/secrets/API_TOKEN", new { value = secret });
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, body);
        Assert.DoesNotContain(secret, body);
        Assert.Contains("API_TOKEN", body);

        response = await api.Owner().PutAsJsonAsync($"{project}/connections/warehouse", new
        {
            type = "postgres", fields = new { host = "db.internal", database = "sales", user = "reader", password },
        });
        body = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, body);
        Assert.DoesNotContain(password, body);
        var connection = JsonDocument.Parse(body).RootElement.GetProperty("connections")[0];
        Assert.Equal("postgres", connection.GetProperty("type").GetString());
        Assert.Equal("5432", connection.GetProperty("fields").GetProperty("port").GetString());
        Assert.False(connection.GetProperty("fields").TryGetProperty("password", out _));
        Assert.Equal(["password"], connection.GetProperty("secretFields").EnumerateArray().Select(f => f.GetString()));

        var settings = await (await api.Owner().GetAsync($"{project}/settings")).Json();
        Assert.Equal(
            ["API_TOKEN", "REGION", "WAREHOUSE_DATABASE", "WAREHOUSE_HOST", "WAREHOUSE_PASSWORD", "WAREHOUSE_PORT", "WAREHOUSE_URL", "WAREHOUSE_USER"],
            settings.GetProperty("environmentVariables").EnumerateArray().Select(e => e.GetString()));

        // Another profile is separate.
        var prod = await (await api.Owner().GetAsync($"{project}/settings?profile=prod")).Json();
        Assert.Empty(prod.GetProperty("environmentVariables").EnumerateArray());

        // At rest the secret and the password are encrypted.
        var stored = await api.Database.ScalarAsync<string>("SELECT state::text FROM projects WHERE slug = $1", project.Split('/')[^1]);
        Assert.DoesNotContain(secret, stored);
        Assert.DoesNotContain(password, stored);
        Assert.Contains("v1:", stored);

        Assert.Equal(200, (int)(await api.Owner().DeleteAsync($"{project}/secrets/API_TOKEN")).StatusCode);
        await (await api.Owner().DeleteAsync($"{project}/secrets/API_TOKEN")).AssertProblem(404, "not-found");
    }

    [Fact]
    public async Task BadSettings_Are400sNamingTheField_AndNeverEchoTheValue()
    {
        var project = await CreateAsync();
        var secret = "never-echo-" + Guid.NewGuid().ToString("N");
        var owner = api.Owner();

        async Task Expect(HttpResponseMessage response, int status, string kind, string mention)
        {
            var text = await response.Content.ReadAsStringAsync();
            Assert.DoesNotContain(secret, text);
            var problem = await response.AssertProblem(status, kind);
            Assert.Contains(mention, problem.GetRawText());
        }

        await Expect(await owner.PutAsJsonAsync($"{project}/secrets/1BAD", new { value = secret }), 400, "validation", "not a valid name");
        await Expect(await owner.PutAsJsonAsync($"{project}/secrets/PATH", new { value = secret }), 400, "validation", "set by Runtime");
        await Expect(await owner.PutAsJsonAsync($"{project}/secrets/OK?profile=staging", new { value = secret }), 400, "validation", "profile");
        await Expect(await owner.PutAsJsonAsync($"{project}/secrets/OK", new { secret }), 400, "validation", "value");
        await Expect(await owner.PutAsJsonAsync($"{project}/variables/OK", new { value = 5 }), 400, "validation", "value");
        await Expect(await owner.PutAsJsonAsync($"{project}/connections/db", new { type = "oracle", fields = new { password = secret } }), 400, "validation", "type");
        await Expect(await owner.PutAsJsonAsync($"{project}/connections/db", new { type = "postgres", fields = new { host = "h", database = "d", password = secret } }), 400, "validation", "fields.user");
        await Expect(await owner.PutAsJsonAsync($"{project}/connections/db", new { type = "postgres", fields = new { host = "h", database = "d", user = "u", port = "99999", password = secret } }), 400, "validation", "fields.port");
        await Expect(await owner.PutAsJsonAsync($"{project}/connections/db", new { type = "postgres", fields = new { host = "h/x", database = "d", user = "u" } }), 400, "validation", "fields.host");
        await Expect(await owner.PutAsJsonAsync($"{project}/connections/db", new { type = "http", fields = new { url = "ftp://x", token = secret } }), 400, "validation", "fields.url");
        await Expect(await owner.PutAsJsonAsync($"{project}/connections/db", new { type = "s3", fields = new { bucket = "b", colour = secret } }), 400, "validation", "fields.colour");
        await Expect(await owner.PutAsJsonAsync($"{project}/connections/db", new { type = "generic", fields = new { apiKey = secret, nested = new { a = 1 } } }), 400, "validation", "fields.nested");

        // Two settings that would set the same variable: the second is refused.
        Assert.True((await owner.PutAsJsonAsync($"{project}/variables/WAREHOUSE_URL", new { value = "x" })).IsSuccessStatusCode);
        await Expect(await owner.PutAsJsonAsync($"{project}/connections/warehouse", new { type = "s3", fields = new { bucket = "sales" } }), 409, "conflict", "WAREHOUSE_URL");
        await Expect(await owner.PutAsJsonAsync($"{project}/secrets/WAREHOUSE_URL", new { value = secret }), 409, "conflict", "variable WAREHOUSE_URL");

        // Members may set variables; only Owners write secrets and connections.
        var (_, member, _) = await api.MemberWithTokenAsync("Member");
        Assert.True((await api.Client(member).PutAsJsonAsync($"{project}/variables/FROM_MEMBER", new { value = "yes" })).IsSuccessStatusCode);
        await Expect(await api.Client(member).PutAsJsonAsync($"{project}/secrets/FROM_MEMBER_SECRET", new { value = secret }), 403, "forbidden", "Owner");
        await Expect(await owner.PutAsJsonAsync("/api/workspaces/default/projects/no-such/secrets/X", new { value = secret }), 404, "not-found", "no-such");
    }

    [Fact]
    public async Task App_GetsTheAccessProfilesSettingsAsEnvironment_AndNoSecretLeaksAnywhere()
    {
        using var recording = Recording.Start();
        await using var silo = await api.Database.StartSiloAsync("silo-settings");
        using var repository = GitTestRepository.Create(new Dictionary<string, string> { ["app.py"] = TestApps.Settings });
        var project = await CreateAsync(repository.FileUrl);
        var slug = project.Split('/')[^1];
        var secret = "s3cr3t-" + Guid.NewGuid().ToString("N");
        var password = "pa:ss@/" + Guid.NewGuid().ToString("N");
        var urlPassword = "url-pw-" + Guid.NewGuid().ToString("N");
        var responses = new List<string>();
        async Task<JsonElement> Call(Task<HttpResponseMessage> call, int status)
        {
            using var response = await call;
            var text = await response.Content.ReadAsStringAsync();
            responses.Add(text);
            Assert.True(status == (int)response.StatusCode, text);
            return text.Length == 0 ? default : JsonDocument.Parse(text).RootElement.Clone();
        }

        var owner = api.Owner();
        await Call(owner.PutAsJsonAsync($"{project}/variables/REGION", new { value = "eu-west-1" }), 200);
        await Call(owner.PutAsJsonAsync($"{project}/secrets/API_TOKEN", new { value = secret }), 200);
        await Call(owner.PutAsJsonAsync($"{project}/connections/warehouse", new { type = "postgres", fields = new { host = "db.internal", database = "sales", user = "reader", password } }), 200);
        await Call(owner.PutAsJsonAsync($"{project}/variables/PROD_ONLY?profile=prod", new { value = "prod" }), 200);
        await Call(owner.PutAsJsonAsync($"{project}/secrets/bad-name", new { value = secret }), 400);
        await Call(owner.PutAsJsonAsync($"{project}/connections/x", new { type = "mysql", fields = new { host = "h", database = "d", user = "u", port = "0", password } }), 400);
        foreach (var url in new[] { $"https://user:{urlPassword}@example.com/repo.git", $"https://{urlPassword}@example.com/repo.git", $"ssh://git:{urlPassword}@example.com/repo.git" })
        {
            var refused = await Call(owner.PostAsJsonAsync("/api/workspaces/default/projects", new
            {
                name = "Leaky " + Guid.NewGuid().ToString("N")[..8], appType = "dash", pythonEnvironment = "default", repositoryUrl = url, branch = "main", path = "app.py",
            }), 400);
            Assert.Contains("deploy key", refused.GetProperty("errors").GetProperty("repositoryUrl")[0].GetString());
        }

        await Call(owner.PostAsync($"{project}/deploy", null), 202);
        await Eventually.Get(async () => await Call(owner.GetAsync(project), 200), p => p.GetProperty("status").GetString() == "Deployed", TimeSpan.FromSeconds(40), "deployed");

        var environment = JsonDocument.Parse(await owner.GetStringAsync($"/apps/default/{slug}/env")).RootElement;
        Assert.Equal("eu-west-1", environment.GetProperty("REGION").GetString());
        Assert.Equal("db.internal", environment.GetProperty("WAREHOUSE_HOST").GetString());
        Assert.Equal("5432", environment.GetProperty("WAREHOUSE_PORT").GetString());
        Assert.Equal(Sha256(secret), environment.GetProperty("API_TOKEN").GetString());
        Assert.Equal(Sha256(password), environment.GetProperty("WAREHOUSE_PASSWORD").GetString());
        Assert.Equal(Sha256($"postgresql://reader:{Uri.EscapeDataString(password)}@db.internal:5432/sales"), environment.GetProperty("WAREHOUSE_URL").GetString());
        Assert.Equal(JsonValueKind.Null, environment.GetProperty("PROD_ONLY").ValueKind); // another profile's

        // The app printed both; its stored log has them masked.
        var logs = await Eventually.Get(async () => await Call(owner.GetAsync($"{project}/logs?tail=100"), 200),
            l => l.EnumerateArray().Any(x => x.GetProperty("line").GetString()!.StartsWith("token is", StringComparison.Ordinal)), TimeSpan.FromSeconds(10), "the app's log");
        var printed = logs.EnumerateArray().Select(x => x.GetProperty("line").GetString()!).First(l => l.StartsWith("token is", StringComparison.Ordinal));
        Assert.Equal("token is *** and the dsn is postgresql://reader:***@db.internal:5432/sales", printed);

        // A change while Deployed says when it takes effect.
        var changed = await Call(owner.PutAsJsonAsync($"{project}/variables/REGION", new { value = "us-east-1" }), 200);
        Assert.Contains("next restart", changed.GetProperty("notice").GetString());
        await Call(owner.GetAsync($"{project}/settings"), 200);
        await Call(owner.GetAsync("/api/workspaces/default/projects"), 200);
        await Call(owner.GetAsync($"{project}/revisions"), 200);
        await Call(owner.PostAsync($"{project}/stop", null), 202);
        await Eventually.Get(async () => await Call(owner.GetAsync(project), 200), p => p.GetProperty("status").GetString() == "Stopped", TimeSpan.FromSeconds(20), "stopped");

        var storedLogs = await api.Database.ScalarAsync<string>("SELECT string_agg(line, E'\\n') FROM workload_logs") ?? "";
        var storedState = await api.Database.ScalarAsync<string>("SELECT string_agg(state::text, E'\\n') FROM projects") ?? "";
        var assignments = await api.Database.ScalarAsync<string>("SELECT string_agg(spec::text || coalesce(result::text, ''), E'\\n') FROM assignments") ?? "";
        Assert.NotEmpty(recording.Entries);
        foreach (var value in new[] { secret, password, Uri.EscapeDataString(password), urlPassword })
        {
            Assert.All(responses, r => Assert.DoesNotContain(value, r));
            Assert.All(recording.Entries, e => Assert.DoesNotContain(value, e));
            Assert.DoesNotContain(value, storedLogs);
            Assert.DoesNotContain(value, storedState);
            Assert.DoesNotContain(value, assignments);
        }
    }

    private static string Sha256(string text) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text)));
}
