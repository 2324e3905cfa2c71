using System.Collections.Concurrent;
using Runtime.Grains;
using Runtime.Grains.Caching;
using Runtime.Grains.Projects;

namespace Runtime.Api.Proxy;

/// <summary>
/// Where the proxy sends an app's traffic, remembered until the project changes: every committed write
/// of a project is announced (<see cref="ChangeFeed"/>) and forgets its route here, so that a stopped or
/// moved app is not reached at its old address, which may by then belong to another app. Without a
/// live feed the grain is asked every time. Which project a slug names is remembered too; a deleted
/// project's slug is looked up again.
/// </summary>
public sealed class RouteCache
{
    private const int MaxEntries = 10_000;

    private readonly Orleans.IGrainFactory _grains;
    private readonly ProjectStore _projects;
    private readonly ChangeFeed _feed;
    private readonly ConcurrentDictionary<(Guid Workspace, string Slug), Guid> _ids = new();
    private readonly ConcurrentDictionary<string, ProjectRoute> _routes = new(StringComparer.Ordinal);

    public RouteCache(Orleans.IGrainFactory grains, ProjectStore projects, ChangeFeed feed)
    {
        _grains = grains;
        _projects = projects;
        _feed = feed;
        feed.Subscribe("project", key =>
        {
            if (key is null)
                _routes.Clear();
            else
                _routes.TryRemove(key, out _);
        });
    }

    /// <summary>Forgets every remembered route: this process changed something that may affect them.</summary>
    public void ForgetAll() => _routes.Clear();

    /// <summary>The project's route, and whether it came from memory (and so may be a moment stale).</summary>
    public async Task<(ProjectRoute Route, bool Remembered)> GetAsync(Guid workspaceId, string slug, CancellationToken ct)
    {
        var key = (workspaceId, slug);
        if (_ids.TryGetValue(key, out var known))
        {
            if (_feed.IsLive && _routes.TryGetValue(known.ToString("D"), out var route))
                return (route, true);
            try
            {
                return (await RouteAsync(known), false);
            }
            catch (NotFoundException)
            {
                _ids.TryRemove(key, out _); // deleted; the slug may name a newer project now
            }
        }
        var id = await _projects.FindAsync(workspaceId, slug, ct) ?? throw new NotFoundException("project", slug);
        var found = await RouteAsync(id);
        if (_ids.Count >= MaxEntries)
            _ids.Clear();
        _ids[key] = id;
        return (found, false);
    }

    /// <summary>The route asked of the grain again: the remembered one did not answer at its address.</summary>
    public async Task<ProjectRoute> RefreshAsync(Guid workspaceId, string slug, CancellationToken ct)
    {
        if (_ids.TryGetValue((workspaceId, slug), out var id))
            _routes.TryRemove(id.ToString("D"), out _);
        return (await GetAsync(workspaceId, slug, ct)).Route;
    }

    private async Task<ProjectRoute> RouteAsync(Guid id)
    {
        var before = _feed.Generation("project");
        var route = await _grains.GetGrain<IProjectGrain>(id).Route();
        if (_feed.MayKeep("project", before))
        {
            if (_routes.Count >= MaxEntries)
                _routes.Clear();
            _routes[id.ToString("D")] = route;
        }
        return route;
    }
}
