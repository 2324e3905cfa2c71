using Runtime.Api.Proxy;
using Runtime.Grains;
using Runtime.Grains.Jobs;
using Runtime.Grains.Projects;
using Runtime.Grains.Tokens;

namespace Runtime.Api.Endpoints;

/// <summary>An interactive job's public link: made (its token shown once) with an optional expiry.</summary>
public static partial class JobEndpoints
{
    private static async Task<IResult> EnableLink(
        string project, string job, System.Text.Json.JsonElement? body, HttpContext http, Orleans.IGrainFactory grains, ProjectStore projects, RunStore runs, TimeProvider time)
    {
        var expiresAt = LinkExpiry(body, time.GetUtcNow());
        var grain = await FindAsync(project, job, http, grains, projects, runs);
        var token = PublicLinks.TokenPrefix + System.Buffers.Text.Base64Url.EncodeToString(System.Security.Cryptography.RandomNumberGenerator.GetBytes(32));
        var link = await grain.EnablePublicLink(ApiTokens.Hash(token), expiresAt);
        var url = $"{http.Request.Scheme}://{http.Request.Host}{http.Request.PathBase}{PublicLinks.Prefix}/{token}/";
        return TypedResults.Ok(new { url, token, link.CreatedAt, link.ExpiresAt });
    }

    // expiresAt (a date and time) or expiresInSeconds; neither: the link works until it is disabled.
    private static DateTimeOffset? LinkExpiry(System.Text.Json.JsonElement? body, DateTimeOffset now)
    {
        if (body is not { ValueKind: System.Text.Json.JsonValueKind.Object } json)
            return null;
        var hasAt = json.TryGetProperty("expiresAt", out var at) && at.ValueKind != System.Text.Json.JsonValueKind.Null;
        var hasIn = json.TryGetProperty("expiresInSeconds", out var seconds) && seconds.ValueKind != System.Text.Json.JsonValueKind.Null;
        if (hasAt && hasIn)
            throw new ValidationException("expiresAt", "Give expiresAt or expiresInSeconds, not both.");
        if (hasAt)
        {
            return at.ValueKind == System.Text.Json.JsonValueKind.String && at.TryGetDateTimeOffset(out var when)
                ? when
                : throw new ValidationException("expiresAt", "expiresAt must be a date and time with its offset (2026-12-01T18:00:00Z).");
        }
        if (hasIn)
        {
            return seconds.ValueKind == System.Text.Json.JsonValueKind.Number && seconds.TryGetInt32(out var s) && s is >= 1 and <= 31_536_000
                ? now.AddSeconds(s)
                : throw new ValidationException("expiresInSeconds", "expiresInSeconds must be from 1 to 31536000 (a year).");
        }
        return null;
    }
}
