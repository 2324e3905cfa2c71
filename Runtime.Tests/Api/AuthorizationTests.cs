using System.Net.Http.Json;
using Runtime.Tests.Infrastructure;
using Xunit;

namespace Runtime.Tests.Api;

public sealed class AuthorizationTests(ApiFixture api) : IClassFixture<ApiFixture>
{
    [Fact]
    public async Task ViewerToken_CanRead_ButMutatingIs403()
    {
        var (_, token, _) = await api.MemberWithTokenAsync("Viewer");
        var viewer = api.Client(token);

        Assert.Equal(200, (int)(await viewer.GetAsync("/api/workspaces/default/members")).StatusCode);
        using var response = await viewer.PostAsJsonAsync("/api/workspaces/default/tokens", new { name = "mine" });

        var problem = await response.AssertProblem(403, "forbidden");
        Assert.Contains("Member", problem.GetProperty("detail").GetString());
    }

    [Fact]
    public async Task MemberToken_CannotManageMembers()
    {
        var (_, token, _) = await api.MemberWithTokenAsync("Member");

        using var response = await api.Client(token).PostAsJsonAsync("/api/workspaces/default/members", new { email = "x@example.com", role = "Viewer" });

        await response.AssertProblem(403, "forbidden");
    }

    [Fact]
    public async Task AnotherWorkspacesResources_Are404_BothWays()
    {
        var created = await api.Owner().PostAsJsonAsync("/api/workspaces", new { name = "Other Team", slug = "other-" + Guid.NewGuid().ToString("N")[..8] });
        Assert.Equal(201, (int)created.StatusCode);
        var body = await created.Json();
        var otherSlug = body.GetProperty("workspace").GetProperty("slug").GetString();
        var otherToken = body.GetProperty("ownerToken").GetProperty("token").GetString();
        var other = api.Client(otherToken);

        Assert.Equal(200, (int)(await other.GetAsync($"/api/workspaces/{otherSlug}/members")).StatusCode);
        await (await other.GetAsync("/api/workspaces/default/members")).AssertProblem(404, "not-found");
        await (await other.GetAsync($"/api/workspaces/{api.Default.WorkspaceId}")).AssertProblem(404, "not-found");
        await (await api.Owner().GetAsync($"/api/workspaces/{otherSlug}/tokens")).AssertProblem(404, "not-found");
        await (await api.Owner().GetAsync("/api/workspaces/no-such-workspace/tokens")).AssertProblem(404, "not-found");
    }

    [Fact]
    public async Task AnotherWorkspacesToken_IsNotFoundById()
    {
        var created = await api.Owner().PostAsJsonAsync("/api/workspaces", new { name = "Third", slug = "third-" + Guid.NewGuid().ToString("N")[..8] });
        var body = await created.Json();
        var otherTokenId = body.GetProperty("ownerToken").GetProperty("id").GetGuid();

        await (await api.Owner().GetAsync($"/api/workspaces/default/tokens/{otherTokenId}")).AssertProblem(404, "not-found");
        await (await api.Owner().PostAsJsonAsync($"/api/workspaces/default/tokens/{otherTokenId}/revoke", new { })).AssertProblem(404, "not-found");
    }
}
