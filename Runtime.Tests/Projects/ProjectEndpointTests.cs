using System.Net.Http.Json;
using System.Text.Json;
using Runtime.Tests.Api;
using Runtime.Tests.Infrastructure;
using Xunit;

namespace Runtime.Tests.Projects;

public sealed class ProjectEndpointTests(ApiFixture api) : IClassFixture<ApiFixture>
{
    private static object Project(string name, string url, string path = "src/app.py", string? slug = null, string branch = "main") => new
    {
        name, slug, appType = "dash", pythonEnvironment = "default", repositoryUrl = url, branch, path,
    };

    private async Task<JsonElement> CreateAsync(object request)
    {
        var response = await api.Owner().PostAsJsonAsync("/api/workspaces/default/projects", request);
        Assert.True(201 == (int)response.StatusCode, await response.Content.ReadAsStringAsync());
        return await response.Json();
    }

    [Fact]
    public async Task Create_GeneratesADeployKey_ShowingOnlyItsPublicHalf()
    {
        var created = await CreateAsync(Project("Sales Dashboard " + Guid.NewGuid().ToString("N")[..6], "git@github.com:acme/sales.git"));
        var slug = created.GetProperty("slug").GetString()!;

        Assert.StartsWith("sales-dashboard-", slug);
        Assert.Equal("Created", created.GetProperty("status").GetString());
        Assert.Equal("cloud", created.GetProperty("environment").GetString());
        var key = await (await api.Owner().GetAsync($"/api/workspaces/default/projects/{slug}/ssh-key")).Json();
        Assert.StartsWith("ssh-ed25519 ", key.GetProperty("publicKey").GetString());
        Assert.StartsWith("SHA256:", key.GetProperty("fingerprint").GetString());
        var everything = await (await api.Owner().GetAsync($"/api/workspaces/default/projects/{slug}")).Content.ReadAsStringAsync();
        Assert.DoesNotContain("PRIVATE KEY", everything);
        Assert.DoesNotContain("encrypted", everything, StringComparison.OrdinalIgnoreCase);
        var stored = await api.Database.ScalarAsync<string>("SELECT state::text FROM projects WHERE slug = $1", slug);
        Assert.DoesNotContain("PRIVATE KEY", stored);
    }

    [Fact]
    public async Task RotateKey_ReplacesTheKey()
    {
        var created = await CreateAsync(Project("Rotate " + Guid.NewGuid().ToString("N")[..6], "git@github.com:acme/r.git"));
        var slug = created.GetProperty("slug").GetString();
        var before = created.GetProperty("deployKey").GetProperty("fingerprint").GetString();

        var rotated = await (await api.Owner().PostAsync($"/api/workspaces/default/projects/{slug}/ssh-key/rotate", null)).Json();

        Assert.NotEqual(before, rotated.GetProperty("fingerprint").GetString());
    }

    [Fact]
    public async Task TakenSlug_Is409SuggestingAFreeOne()
    {
        var slug = "dup-" + Guid.NewGuid().ToString("N")[..6];
        await CreateAsync(Project("First", "git@github.com:acme/a.git", slug: slug));

        using var response = await api.Owner().PostAsJsonAsync("/api/workspaces/default/projects", Project("Second", "git@github.com:acme/b.git", slug: slug));

        var problem = await response.AssertProblem(409, "conflict");
        Assert.Contains($"'{slug}-2' is free", problem.GetProperty("detail").GetString());
    }

    [Theory]
    [InlineData("branch", "--upload-pack=x")]
    [InlineData("path", "../../etc/passwd")]
    [InlineData("slug", "A B")]
    [InlineData("repositoryUrl", "ext::sh -c touch% /tmp/pwned")]
    [InlineData("appType", "shiny")]
    public async Task UnsafeInput_Is400NamingTheField_AndCreatesNothing(string field, string value)
    {
        var before = await api.Database.ScalarAsync<long>("SELECT count(*) FROM projects");
        var request = new Dictionary<string, string?>
        {
            ["name"] = "Bad " + Guid.NewGuid().ToString("N")[..6], ["appType"] = "dash", ["pythonEnvironment"] = "default",
            ["repositoryUrl"] = "git@github.com:acme/x.git", ["branch"] = "main", ["path"] = "app.py",
        };
        request[field] = value;

        using var response = await api.Owner().PostAsJsonAsync("/api/workspaces/default/projects", request);

        var problem = await response.AssertProblem(400, "validation");
        Assert.True(problem.GetProperty("errors").TryGetProperty(field, out _), problem.ToString());
        Assert.Equal(before, await api.Database.ScalarAsync<long>("SELECT count(*) FROM projects"));
        Assert.False(File.Exists("/tmp/pwned"));
    }

    [Fact]
    public async Task Update_ChangesNamePathAndEnvironment_ButRepositoryUrlIs400()
    {
        var slug = (await CreateAsync(Project("Upd " + Guid.NewGuid().ToString("N")[..6], "git@github.com:acme/u.git"))).GetProperty("slug").GetString();

        var updated = await api.Owner().PatchAsJsonAsync($"/api/workspaces/default/projects/{slug}", new { name = "Renamed", path = "app/main.py" });
        Assert.Equal(200, (int)updated.StatusCode);
        Assert.Equal("app/main.py", (await updated.Json()).GetProperty("path").GetString());

        using var refused = await api.Owner().PatchAsJsonAsync($"/api/workspaces/default/projects/{slug}", new { repositoryUrl = "git@github.com:acme/other.git", branch = "dev" });
        var problem = await refused.AssertProblem(400, "validation");
        Assert.True(problem.GetProperty("errors").TryGetProperty("repositoryUrl", out _));
        Assert.True(problem.GetProperty("errors").TryGetProperty("branch", out _));
    }

    [Theory]
    [InlineData("logs?tail=0")]
    [InlineData("logs?tail=20000")]
    [InlineData("logs/follow?tail=-1")]
    public async Task BadTail_Is400NamingTail(string path)
    {
        var slug = (await CreateAsync(Project("Tail " + Guid.NewGuid().ToString("N")[..6], "git@github.com:acme/t.git"))).GetProperty("slug").GetString();

        var problem = await (await api.Owner().GetAsync($"/api/workspaces/default/projects/{slug}/{path}")).AssertProblem(400, "validation");

        Assert.True(problem.GetProperty("errors").TryGetProperty("tail", out _));
    }

    [Theory]
    [InlineData("[]", "body")]
    [InlineData("{\"name\": 5}", "name")]
    public async Task UpdateWithABadBody_Is400NamingTheField(string body, string field)
    {
        var slug = (await CreateAsync(Project("Body " + Guid.NewGuid().ToString("N")[..6], "git@github.com:acme/b.git"))).GetProperty("slug").GetString();
        using var content = new StringContent(body, System.Text.Encoding.UTF8, "application/json");

        var problem = await (await api.Owner().PatchAsync($"/api/workspaces/default/projects/{slug}", content)).AssertProblem(400, "validation");

        Assert.True(problem.GetProperty("errors").TryGetProperty(field, out _));
    }

    [Fact]
    public async Task ViewerCannotCreate_AndOtherWorkspacesProjectIs404()
    {
        var (_, viewerToken, _) = await api.MemberWithTokenAsync("Viewer");
        await (await api.Client(viewerToken).PostAsJsonAsync("/api/workspaces/default/projects", Project("V", "git@github.com:a/b.git"))).AssertProblem(403, "forbidden");
        await (await api.Owner().GetAsync("/api/workspaces/default/projects/no-such-project")).AssertProblem(404, "not-found");
    }
}
