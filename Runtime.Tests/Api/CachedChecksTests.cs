using System.Diagnostics;
using Microsoft.Extensions.DependencyInjection;
using Runtime.Grains;
using Runtime.Grains.Tokens;
using Runtime.Tests.Infrastructure;
using Xunit;

namespace Runtime.Tests.Api;

/// <summary>
/// The Api remembers accepted tokens; a change made by another process (here: a grain call that does not
/// go through this Api) reaches it through the change feed and ends the token's access within a second.
/// </summary>
public sealed class CachedChecksTests(ApiFixture api) : IClassFixture<ApiFixture>
{
    [Fact]
    public async Task TokenRevokedByAnotherProcess_IsRefusedWithinASecond()
    {
        var (_, token, tokenId) = await api.MemberWithTokenAsync("Member");
        var client = api.Client(token);
        for (var i = 0; i < 3; i++) // accepted, and remembered
            Assert.Equal(200, (int)(await client.GetAsync("/api/me")).StatusCode);

        await api.Services.GetRequiredService<Orleans.IGrainFactory>().GetGrain<ITokenGrain>(tokenId).Revoke("leaked, revoked elsewhere");

        var clock = Stopwatch.StartNew();
        await Eventually.Get(async () => (int)(await client.GetAsync("/api/me")).StatusCode, status => status == 401, TimeSpan.FromSeconds(1), "the revocation to reach the Api");
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(1));
    }

    [Fact]
    public async Task MemberRemovedByAnotherProcess_LosesAccessWithinASecond()
    {
        var (memberId, token, _) = await api.MemberWithTokenAsync("Member");
        var client = api.Client(token);
        Assert.Equal(200, (int)(await client.GetAsync("/api/me")).StatusCode);

        // Removed through a second Api client would forget at once; through the grain, only the feed tells.
        var workspace = api.Services.GetRequiredService<Orleans.IGrainFactory>().GetGrain<Runtime.Grains.Workspaces.IWorkspaceGrain>(api.Default.WorkspaceId);
        await workspace.RemoveMember(memberId);

        await Eventually.Get(async () => (int)(await client.GetAsync("/api/me")).StatusCode, status => status == 401, TimeSpan.FromSeconds(1), "the removal to reach the Api");
    }
}
