using System.Net.Http.Json;
using System.Text.Json;
using Runtime.Tests.Infrastructure;
using Xunit;

namespace Runtime.Tests.Api;

/// <summary>Small helpers the Api tests share: members and tokens made through the Api itself.</summary>
internal static class ApiCalls
{
    public static async Task<JsonElement> Json(this HttpResponseMessage response) =>
        JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;

    /// <summary>Adds a member with <paramref name="role"/> and returns a token of theirs (made by the Owner).</summary>
    public static async Task<(Guid MemberId, string Token, Guid TokenId)> MemberWithTokenAsync(this ApiFixture api, string role)
    {
        var owner = api.Owner();
        var added = await owner.PostAsJsonAsync("/api/workspaces/default/members", new { email = $"{role.ToLowerInvariant()}-{Guid.NewGuid():N}@example.com", role });
        Assert.Equal(System.Net.HttpStatusCode.Created, added.StatusCode);
        var memberId = (await added.Json()).GetProperty("id").GetGuid();
        var token = await owner.PostAsJsonAsync("/api/workspaces/default/tokens", new { name = role + " token", memberId });
        Assert.Equal(System.Net.HttpStatusCode.Created, token.StatusCode);
        var body = await token.Json();
        return (memberId, body.GetProperty("token").GetString()!, body.GetProperty("id").GetGuid());
    }

    /// <summary>
    /// A project (a Dash app at app.py) on <paramref name="repositoryUrl"/>, pulled: its revision fetched, nothing
    /// deployed. Needs a silo for the fetch. Returns its Api path and slug.
    /// </summary>
    public static async Task<(string Path, string Slug)> PulledProjectAsync(this ApiFixture api, string repositoryUrl, string name)
    {
        var response = await api.Owner().PostAsJsonAsync("/api/workspaces/default/projects", new
        {
            name = name + " " + Guid.NewGuid().ToString("N")[..8], appType = "dash", pythonEnvironment = "default", repositoryUrl, branch = "main", path = "app.py",
        });
        Assert.True(201 == (int)response.StatusCode, await response.Content.ReadAsStringAsync());
        var slug = (await response.Json()).GetProperty("slug").GetString()!;
        var project = $"/api/workspaces/default/projects/{slug}";
        Assert.Equal(202, (int)(await api.Owner().PostAsync($"{project}/pull", null)).StatusCode);
        await Eventually.Get(async () => await (await api.Owner().GetAsync(project)).Json(),
            p => p.GetProperty("revisions").GetArrayLength() > 0 && p.GetProperty("phase").ValueKind == JsonValueKind.Null, TimeSpan.FromSeconds(20), "the pull");
        return (project, slug);
    }

    /// <summary>Asserts a ProblemDetails response of <paramref name="status"/> and <paramref name="kind"/>; returns its body.</summary>
    public static async Task<JsonElement> AssertProblem(this HttpResponseMessage response, int status, string kind)
    {
        Assert.Equal(status, (int)response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var body = await response.Json();
        Assert.Equal(status, body.GetProperty("status").GetInt32());
        Assert.Equal("urn:runtime:problem:" + kind, body.GetProperty("type").GetString());
        Assert.False(string.IsNullOrWhiteSpace(body.GetProperty("detail").GetString()));
        return body;
    }
}
