using System.Text.Json;
using Npgsql;
using NpgsqlTypes;
using Runtime.Grains.Paging;
using Runtime.Grains.Workspaces;

namespace Runtime.Grains.Tokens;

/// <summary>Who a valid token speaks for.</summary>
public sealed record Caller(Guid TokenId, Guid WorkspaceId, string WorkspaceSlug, Guid MemberId, string Email, Role Role);

/// <summary>Why a token was refused; each is a 401 with its own advice.</summary>
public enum TokenRejection
{
    Unknown,
    Expired,
    Revoked,
    MemberRemoved,
}

/// <summary>The outcome of checking a bearer token: a caller (until when, if the token expires), or a rejection.</summary>
public sealed record TokenCheck(Caller? Caller, TokenRejection? Rejection, DateTimeOffset? ExpiresAt = null);

/// <summary>Read side of tokens: authentication by hash and listing. Writes go through <see cref="ITokenGrain"/>.</summary>
public sealed class TokenStore(NpgsqlDataSource dataSource, TimeProvider time)
{
    /// <summary>Checks a presented secret. One indexed query joins the token, its workspace and its member.</summary>
    public Task<TokenCheck> CheckAsync(string secret, CancellationToken ct = default) =>
        ApiTokens.LooksLikeToken(secret)
            ? CheckHashAsync(ApiTokens.Hash(secret), ct)
            : Task.FromResult(new TokenCheck(null, TokenRejection.Unknown));

    /// <summary>
    /// Checks a token known only by its hash (a browser session holds the hash, never the secret), with
    /// the same outcome as presenting the secret: a token revoked or expired since is refused at once.
    /// </summary>
    public async Task<TokenCheck> CheckHashAsync(string hash, CancellationToken ct = default)
    {
        if (!ApiTokens.IsHash(hash))
            return new TokenCheck(null, TokenRejection.Unknown);

        await using var command = dataSource.CreateCommand("""
            SELECT t.key, t.state::text, w.key, w.slug, m.member::text
            FROM api_tokens t
            JOIN workspaces w ON w.key = t.workspace_id
            LEFT JOIN LATERAL (
                SELECT e AS member FROM jsonb_array_elements(w.state -> 'members') e WHERE e ->> 'id' = t.member_id
            ) m ON true
            WHERE t.hash = $1
            """);
        command.Parameters.Add(new NpgsqlParameter { Value = hash });
        await using var reader = await command.ExecuteReaderAsync(ct);
        if (!await reader.ReadAsync(ct))
            return new TokenCheck(null, TokenRejection.Unknown);

        var token = JsonSerializer.Deserialize<TokenState>(reader.GetString(1), GrainJson.Options)!;
        switch (token.StatusAt(time.GetUtcNow()))
        {
            case TokenStatus.Revoked:
                return new TokenCheck(null, TokenRejection.Revoked);
            case TokenStatus.Expired:
                return new TokenCheck(null, TokenRejection.Expired);
        }
        if (reader.IsDBNull(4))
            return new TokenCheck(null, TokenRejection.MemberRemoved);
        var member = JsonSerializer.Deserialize<MemberState>(reader.GetString(4), GrainJson.Options)!;
        return new TokenCheck(new Caller(Guid.Parse(reader.GetString(0)), Guid.Parse(reader.GetString(2)), reader.GetString(3),
            member.Id, member.Email, member.Role), null, token.ExpiresAt);
    }

    /// <summary>The workspace's tokens (or one member's), newest first.</summary>
    public async Task<Page<TokenView>> ListAsync(Guid workspaceId, Guid? memberId, Cursor? after, int limit, CancellationToken ct = default)
    {
        await using var command = dataSource.CreateCommand("""
            SELECT key, state::text, created_at FROM api_tokens
            WHERE workspace_id = $1
              AND ($2::text IS NULL OR member_id = $2)
              AND ($3::timestamptz IS NULL OR (created_at, key) < ($3, $4))
            ORDER BY created_at DESC, key DESC
            LIMIT $5
            """);
        command.Parameters.Add(new NpgsqlParameter { Value = workspaceId.ToString("D") });
        command.Parameters.Add(new NpgsqlParameter { NpgsqlDbType = NpgsqlDbType.Text, Value = (object?)memberId?.ToString("D") ?? DBNull.Value });
        command.Parameters.Add(new NpgsqlParameter { NpgsqlDbType = NpgsqlDbType.TimestampTz, Value = (object?)after?.CreatedAt ?? DBNull.Value });
        command.Parameters.Add(new NpgsqlParameter { NpgsqlDbType = NpgsqlDbType.Text, Value = (object?)after?.Key ?? DBNull.Value });
        command.Parameters.Add(new NpgsqlParameter { Value = limit + 1 });

        var now = time.GetUtcNow();
        var items = new List<(TokenView View, Cursor At)>();
        await using var reader = await command.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct))
        {
            var key = reader.GetString(0);
            var state = JsonSerializer.Deserialize<TokenState>(reader.GetString(1), GrainJson.Options)!;
            items.Add((TokenViews.From(Guid.Parse(key), state, now), new Cursor(reader.GetFieldValue<DateTimeOffset>(2), key)));
        }
        var more = items.Count > limit;
        var page = items.Take(limit).ToList();
        return new Page<TokenView>(page.Select(i => i.View).ToList(), more ? page[^1].At.Encode() : null);
    }
}
