using System.Collections.Concurrent;
using Runtime.Grains.Caching;
using Runtime.Grains.Tokens;

namespace Runtime.Api.Auth;

/// <summary>
/// Token checks with the accepted ones remembered, so that a client's requests cost a database query
/// once rather than each time. Any committed change of a token or a workspace (revocation, a member
/// removed or given another role) forgets them all, in every Api process, as soon as its
/// <see cref="ChangeFeed"/> hears of it; without a live feed nothing is remembered. A token is never
/// remembered past its expiry. Refusals are not remembered. A change made through this process forgets
/// them at once (<see cref="ForgetAll"/>), before its response is sent.
/// </summary>
public sealed class TokenChecks
{
    private static readonly TimeSpan Longest = TimeSpan.FromMinutes(5);
    private const int MaxEntries = 100_000;

    private readonly TokenStore _store;
    private readonly ChangeFeed _feed;
    private readonly TimeProvider _time;
    private readonly ConcurrentDictionary<string, (TokenCheck Check, DateTimeOffset Until)> _accepted = new(StringComparer.Ordinal);

    public TokenChecks(TokenStore store, ChangeFeed feed, TimeProvider time)
    {
        _store = store;
        _feed = feed;
        _time = time;
        feed.Subscribe("token", _ => _accepted.Clear());
        feed.Subscribe("workspace", _ => _accepted.Clear());
    }

    /// <summary>Forgets every remembered check: this process changed something that may affect them.</summary>
    public void ForgetAll() => _accepted.Clear();

    public Task<TokenCheck> CheckAsync(string secret, CancellationToken ct) =>
        ApiTokens.LooksLikeToken(secret)
            ? CheckHashAsync(ApiTokens.Hash(secret), ct)
            : Task.FromResult(new TokenCheck(null, TokenRejection.Unknown));

    public async Task<TokenCheck> CheckHashAsync(string hash, CancellationToken ct)
    {
        var now = _time.GetUtcNow();
        if (_feed.IsLive && _accepted.TryGetValue(hash, out var known) && known.Until > now)
            return known.Check;

        var before = Generation();
        var check = await _store.CheckHashAsync(hash, ct);
        if (check.Caller is not null && _feed.IsLive && Generation() == before)
        {
            if (_accepted.Count >= MaxEntries)
                _accepted.Clear();
            var until = now + Longest;
            _accepted[hash] = (check, check.ExpiresAt is { } expires && expires < until ? expires : until);
        }
        return check;
    }

    private long Generation() => _feed.Generation("token") + _feed.Generation("workspace");
}
