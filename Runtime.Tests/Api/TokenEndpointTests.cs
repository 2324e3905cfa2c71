using System.Net.Http.Json;
using Runtime.Tests.Infrastructure;
using Xunit;

namespace Runtime.Tests.Api;

public sealed class TokenEndpointTests(ApiFixture api) : IClassFixture<ApiFixture>
{
    [Fact]
    public async Task CreatedToken_ShowsItsSecretOnce_AndListsNeverDo()
    {
        var created = await api.Owner().PostAsJsonAsync("/api/workspaces/default/tokens", new { name = "ci" });
        var body = await created.Json();
        var secret = body.GetProperty("token").GetString()!;
        var id = body.GetProperty("id").GetGuid();

        Assert.Equal(201, (int)created.StatusCode);
        Assert.StartsWith("rt_", secret);
        Assert.Equal(200, (int)(await api.Client(secret).GetAsync("/api/me")).StatusCode);
        var list = await (await api.Owner().GetAsync("/api/workspaces/default/tokens")).Content.ReadAsStringAsync();
        var one = await (await api.Owner().GetAsync($"/api/workspaces/default/tokens/{id}")).Content.ReadAsStringAsync();
        Assert.Contains(id.ToString(), list);
        Assert.DoesNotContain(secret, list);
        Assert.DoesNotContain(secret[3..], one);
        Assert.DoesNotContain("hash", one, StringComparison.OrdinalIgnoreCase);
        Assert.Equal(64, await api.Database.ScalarAsync<long>("SELECT length(hash) FROM api_tokens WHERE key = $1", id.ToString()));
    }

    [Fact]
    public async Task RevokingTwice_Is409NamingTheCurrentState()
    {
        var (_, _, tokenId) = await api.MemberWithTokenAsync("Member");
        await api.Owner().PostAsJsonAsync($"/api/workspaces/default/tokens/{tokenId}/revoke", new { });

        using var response = await api.Owner().PostAsJsonAsync($"/api/workspaces/default/tokens/{tokenId}/revoke", new { });

        var problem = await response.AssertProblem(409, "illegal-transition");
        Assert.Equal("Revoked", problem.GetProperty("currentState").GetString());
        Assert.Contains("Revoked", problem.GetProperty("detail").GetString());
    }

    [Fact]
    public async Task ReplayedIdempotencyKey_Is409_AndMintsNoSecondToken()
    {
        var key = Guid.NewGuid().ToString();
        var client = api.Owner();
        HttpRequestMessage Request() => new(HttpMethod.Post, "/api/workspaces/default/tokens")
        {
            Content = JsonContent.Create(new { name = "deploy" }),
            Headers = { { "Idempotency-Key", key } },
        };

        var first = await client.SendAsync(Request());
        var second = await client.SendAsync(Request());

        Assert.Equal(201, (int)first.StatusCode);
        var problem = await second.AssertProblem(409, "conflict");
        Assert.Contains((await first.Json()).GetProperty("id").GetString()!, problem.GetProperty("detail").GetString());
    }

    [Fact]
    public async Task MemberSeesOnlyTheirOwnTokens()
    {
        var (_, token, tokenId) = await api.MemberWithTokenAsync("Member");

        var list = await (await api.Client(token).GetAsync("/api/workspaces/default/tokens")).Json();

        var ids = list.GetProperty("items").EnumerateArray().Select(t => t.GetProperty("id").GetGuid()).ToList();
        Assert.Equal([tokenId], ids);
        await (await api.Client(token).GetAsync($"/api/workspaces/default/tokens/{api.Default.WorkspaceId}")).AssertProblem(404, "not-found");
    }
}
