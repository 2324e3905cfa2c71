using System.Collections.Concurrent;
using Runtime.Grains;
using Runtime.Grains.Projects;

namespace Runtime.Api.Proxy;

/// <summary>
/// Where the proxy sends an app's traffic. Which project a workspace's slug names is remembered (it
/// changes only when the project is deleted, which the grain then says); the route itself is asked
/// of the project's grain on every request, so that a stopped or moved app is never reached at an old
/// address, which by then may belong to another app.
/// </summary>
public sealed class RouteCache(IGrainFactory grains, ProjectStore projects)
{
    private const int MaxEntries = 10_000;

    private readonly ConcurrentDictionary<(Guid Workspace, string Slug), Guid> _ids = new();

    public async Task<ProjectRoute> GetAsync(Guid workspaceId, string slug, CancellationToken ct)
    {
        var key = (workspaceId, slug);
        if (_ids.TryGetValue(key, out var known))
        {
            try
            {
                return await grains.Get<IProjectGrain>(known).Route();
            }
            catch (NotFoundException)
            {
                _ids.TryRemove(key, out _); // deleted; the slug may name a newer project now
            }
        }
        var id = await projects.FindAsync(workspaceId, slug, ct) ?? throw new NotFoundException("project", slug);
        var route = await grains.Get<IProjectGrain>(id).Route();
        if (_ids.Count >= MaxEntries)
            _ids.Clear();
        _ids[key] = id;
        return route;
    }
}
