using System.Collections.Concurrent;
using Runtime.Grains;
using Runtime.Grains.Jobs;
using Runtime.Grains.Projects;

namespace Runtime.Api.Proxy;

/// <summary>
/// Which job an interactive job's address (<c>/jobs/&lt;workspace&gt;/&lt;project&gt;/&lt;job&gt;</c>) names, remembered so that a
/// proxied request does not look the project and the job up again: their names never change. A remembered
/// job that is gone (deleted, perhaps replaced by another of the same name) is forgotten and looked up again.
/// </summary>
public sealed class JobAddresses(ProjectStore projects, RunStore runs)
{
    private const int MaxEntries = 10_000;

    private readonly ConcurrentDictionary<(Guid Workspace, string Project, string Job), Guid> _ids = new();

    /// <summary>The job and its route; throws <see cref="NotFoundException"/> for a project or job that does not exist.</summary>
    public async Task<(Guid Id, JobRoute Route)> RouteAsync(Orleans.IGrainFactory grains, Guid workspaceId, string project, string job, CancellationToken ct)
    {
        var key = (workspaceId, project, job);
        if (_ids.TryGetValue(key, out var known))
        {
            try
            {
                return (known, await grains.GetGrain<IJobGrain>(known).Route());
            }
            catch (NotFoundException)
            {
                _ids.TryRemove(key, out _);
            }
        }
        var projectId = await projects.FindAsync(workspaceId, project, ct) ?? throw new NotFoundException("project", project);
        var id = await runs.FindJobAsync(projectId, job, ct) ?? throw new NotFoundException("job", job);
        var route = await grains.GetGrain<IJobGrain>(id).Route();
        if (_ids.Count >= MaxEntries)
            _ids.Clear();
        _ids[key] = id;
        return (id, route);
    }
}
