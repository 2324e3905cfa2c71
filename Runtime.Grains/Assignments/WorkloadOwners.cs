using Runtime.Grains.Jobs;
using Runtime.Grains.Projects;

namespace Runtime.Grains.Assignments;

/// <summary>The grain an agent reports an app workload to, by the grain id its start assignment carries.</summary>
public static class WorkloadOwners
{
    public static IWorkloadOwner Of(Orleans.IGrainFactory grains, GrainId owner) => owner.Type == "job"
        ? grains.GetGrain<IJobGrain>(Guid.Parse(owner.Key))
        : grains.GetGrain<IProjectGrain>(Guid.Parse(owner.Key));
}
