using System.Net;
using Runtime.Tests.Infrastructure;
using Xunit;

namespace Runtime.Tests.Api;

public sealed class SmokeTests(ApiFixture api) : IClassFixture<ApiFixture>
{
    [Fact]
    public async Task Me_WithOwnerToken_ReturnsTheOwner()
    {
        using var response = await api.Owner().GetAsync("/api/me");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Contains("owner@localhost", await response.Content.ReadAsStringAsync());
    }
}
