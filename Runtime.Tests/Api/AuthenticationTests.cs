using System.Net.Http.Json;
using Runtime.Tests.Infrastructure;
using Xunit;

namespace Runtime.Tests.Api;

public sealed class AuthenticationTests(ApiFixture api) : IClassFixture<ApiFixture>
{
    [Fact]
    public async Task MissingToken_Is401_SayingHowToSendOne()
    {
        using var response = await api.Client(null).GetAsync("/api/me");

        var problem = await response.AssertProblem(401, "unauthorized");
        Assert.Contains("Bearer", problem.GetProperty("detail").GetString());
        Assert.Equal("Bearer", response.Headers.WwwAuthenticate.Single().Scheme);
    }

    [Theory]
    [InlineData("rt_not-a-real-token")]
    [InlineData("garbage")]
    public async Task UnknownToken_Is401(string token)
    {
        using var response = await api.Client(token).GetAsync("/api/me");

        var problem = await response.AssertProblem(401, "unauthorized");
        Assert.Contains("not known", problem.GetProperty("detail").GetString());
    }

    [Fact]
    public async Task NonBearerScheme_Is401()
    {
        var client = api.Client(null);
        client.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Basic", "dXNlcjpwYXNz");

        using var response = await client.GetAsync("/api/me");

        await response.AssertProblem(401, "unauthorized");
    }

    [Fact]
    public async Task ExpiredToken_Is401_SayingItExpired()
    {
        var created = await api.Owner().PostAsJsonAsync("/api/workspaces/default/tokens", new { name = "short", expiresAt = DateTimeOffset.UtcNow.AddSeconds(2) });
        var token = (await created.Json()).GetProperty("token").GetString();
        Assert.Equal(200, (int)(await api.Client(token).GetAsync("/api/me")).StatusCode);

        await Task.Delay(2500);
        using var response = await api.Client(token).GetAsync("/api/me");

        var problem = await response.AssertProblem(401, "unauthorized");
        Assert.Contains("expired", problem.GetProperty("detail").GetString());
    }

    [Fact]
    public async Task RevokedToken_Is401_SayingItWasRevoked()
    {
        var (_, token, tokenId) = await api.MemberWithTokenAsync("Member");
        Assert.Equal(200, (int)(await api.Client(token).GetAsync("/api/me")).StatusCode);

        var revoked = await api.Owner().PostAsJsonAsync($"/api/workspaces/default/tokens/{tokenId}/revoke", new { reason = "leaked" });
        Assert.Equal(200, (int)revoked.StatusCode);
        using var response = await api.Client(token).GetAsync("/api/me");

        var problem = await response.AssertProblem(401, "unauthorized");
        Assert.Contains("revoked", problem.GetProperty("detail").GetString());
    }

    [Fact]
    public async Task RemovedMembersToken_Is401()
    {
        var (memberId, token, _) = await api.MemberWithTokenAsync("Member");

        Assert.Equal(204, (int)(await api.Owner().DeleteAsync($"/api/workspaces/default/members/{memberId}")).StatusCode);
        using var response = await api.Client(token).GetAsync("/api/me");

        await response.AssertProblem(401, "unauthorized");
    }

    [Fact]
    public async Task OpenApiHealthAndAlive_NeedNoToken()
    {
        var client = api.Client(null);

        var openApi = await client.GetAsync("/openapi/v1.json");
        Assert.Equal(200, (int)openApi.StatusCode);
        var paths = (await openApi.Json()).GetProperty("paths");
        Assert.True(paths.TryGetProperty("/api/workspaces/{workspace}/tokens", out _));
        Assert.True(paths.TryGetProperty("/api/workspaces/{workspace}/members", out _));
        Assert.Equal(200, (int)(await client.GetAsync("/alive")).StatusCode);
    }
}
