using System.Collections.Concurrent;
using Runtime.Grains;
using Runtime.Grains.Projects;

namespace Runtime.Api.Proxy;

/// <summary>
/// Where the proxy sends an app's traffic, remembered for half a second so that a busy app costs one
/// lookup per interval rather than two database round trips per request. Only a Deployed project's
/// route is kept; a route that turns out stale (the app moved or stopped) is <see cref="Forget">forgotten</see>
/// and looked up again.
/// </summary>
public sealed class RouteCache(IGrainFactory grains, ProjectStore projects, TimeProvider time)
{
    private static readonly TimeSpan Lifetime = TimeSpan.FromMilliseconds(500);
    private const int MaxEntries = 10_000;

    private readonly ConcurrentDictionary<(Guid Workspace, string Slug), Entry> _entries = new();

    private sealed record Entry(ProjectRoute Route, DateTimeOffset Expires);

    /// <summary>The project's route; <paramref name="cached"/> says whether it came from the cache.</summary>
    public async Task<(ProjectRoute Route, bool Cached)> GetAsync(Guid workspaceId, string slug, CancellationToken ct)
    {
        var key = (workspaceId, slug);
        var now = time.GetUtcNow();
        if (_entries.TryGetValue(key, out var entry) && entry.Expires > now)
            return (entry.Route, true);

        var id = await projects.FindAsync(workspaceId, slug, ct) ?? throw new NotFoundException("project", slug);
        var route = await grains.Get<IProjectGrain>(id).Route();
        if (route.Address is null)
            _entries.TryRemove(key, out _);
        else
        {
            if (_entries.Count >= MaxEntries)
                _entries.Clear();
            _entries[key] = new Entry(route, now + Lifetime);
        }
        return (route, false);
    }

    public void Forget(Guid workspaceId, string slug) => _entries.TryRemove((workspaceId, slug), out _);
}
