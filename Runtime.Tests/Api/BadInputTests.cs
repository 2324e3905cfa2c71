using System.Net.Http.Json;
using System.Text;
using Runtime.Tests.Infrastructure;
using Xunit;

namespace Runtime.Tests.Api;

/// <summary>Every kind of bad input is a 400 ProblemDetails naming the field, never a 500.</summary>
public sealed class BadInputTests(ApiFixture api) : IClassFixture<ApiFixture>
{
    private async Task AssertField(HttpResponseMessage response, string field)
    {
        var problem = await response.AssertProblem(400, "validation");
        Assert.True(problem.GetProperty("errors").TryGetProperty(field, out _), $"errors do not name '{field}': {problem}");
    }

    [Theory]
    [InlineData("not-an-email", "Viewer", "email")]
    [InlineData("", "Viewer", "email")]
    [InlineData("x@example.com", "Admin", "role")]
    [InlineData("x@example.com", "3", "role")]
    public async Task BadMember_Is400NamingTheField(string email, string role, string field) =>
        await AssertField(await api.Owner().PostAsJsonAsync("/api/workspaces/default/members", new { email, role }), field);

    [Fact]
    public async Task TokenExpiringInThePast_Is400NamingExpiresAt() =>
        await AssertField(await api.Owner().PostAsJsonAsync("/api/workspaces/default/tokens", new { name = "old", expiresAt = DateTimeOffset.UtcNow.AddDays(-1) }), "expiresAt");

    [Fact]
    public async Task TokenWithoutName_Is400NamingName() =>
        await AssertField(await api.Owner().PostAsJsonAsync("/api/workspaces/default/tokens", new { name = " " }), "name");

    [Theory]
    [InlineData("Bad Slug!", "slug")]
    [InlineData("-x", "slug")]
    public async Task BadWorkspaceSlug_Is400NamingSlug(string slug, string field) =>
        await AssertField(await api.Owner().PostAsJsonAsync("/api/workspaces", new { name = "Team", slug }), field);

    [Fact]
    public async Task TakenWorkspaceSlug_Is409()
    {
        using var response = await api.Owner().PostAsJsonAsync("/api/workspaces", new { name = "Default again", slug = "default" });

        await response.AssertProblem(409, "conflict");
    }

    [Fact]
    public async Task MalformedJson_Is400()
    {
        using var content = new StringContent("{\"name\": ", Encoding.UTF8, "application/json");
        using var response = await api.Owner().PostAsync("/api/workspaces/default/tokens", content);

        Assert.Equal(400, (int)response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
    }

    [Theory]
    [InlineData("cursor=%%%not-base64")]
    [InlineData("limit=0")]
    [InlineData("limit=5000")]
    public async Task BadPaging_Is400(string query)
    {
        using var response = await api.Owner().GetAsync("/api/workspaces/default/tokens?" + query);

        var problem = await response.AssertProblem(400, "validation");
        Assert.True(problem.GetProperty("errors").TryGetProperty(query.Split('=')[0], out _));
    }

    [Theory]
    [InlineData("cron=61%20*%20*%20*%20*", "cron")]
    [InlineData("cron=0%202%20*%20*%20*&timeZone=Mars/Base", "timeZone")]
    [InlineData("timeZone=UTC", "cron")]
    public async Task BadSchedulePreview_Is400NamingTheField(string query, string field) =>
        await AssertField(await api.Owner().GetAsync("/api/schedules/preview?" + query), field);

    [Fact]
    public async Task SchedulePreview_ListsFireTimesInTheZone()
    {
        var body = await (await api.Owner().GetAsync("/api/schedules/preview?cron=30%202%20*%20*%20*&timeZone=Europe/Berlin&count=3")).Json();

        Assert.Equal(3, body.GetProperty("next").GetArrayLength());
    }

    [Fact]
    public async Task LastOwner_CannotBeRemovedOrDemoted()
    {
        var owner = api.Default;
        var me = await (await api.Owner().GetAsync("/api/me")).Json();
        var ownerId = me.GetProperty("memberId").GetGuid();

        await (await api.Owner().DeleteAsync($"/api/workspaces/default/members/{ownerId}")).AssertProblem(409, "conflict");
        await (await api.Owner().PatchAsJsonAsync($"/api/workspaces/default/members/{ownerId}", new { role = "Viewer" })).AssertProblem(409, "conflict");
        Assert.Equal(owner.WorkspaceId, me.GetProperty("workspaceId").GetGuid());
    }
}
