using Runtime.Grains;
using Runtime.Grains.Projects;

namespace Runtime.Silo.Agent;

/// <summary>
/// What an agent writes beside each app it runs (<c>workload.json</c>, 0600): enough for another agent on
/// the same machine to adopt the app if this one dies, or to start it again. The settings in it are
/// the start spec's, secrets still encrypted.
/// </summary>
/// <param name="Owner">The silo running the app and its cluster: while it lives, nobody adopts.</param>
internal sealed record WorkloadRecord(
    Guid AssignmentId, GrainId Grain, string WorkloadId, StartSpec Spec, string Directory, string VenvBin, int Port,
    int Pid, long StartTime, RecordOwner Owner)
{
    public const string FileName = "workload.json";

    public void Save() => RecordFiles.Save(Path.Combine(Directory, FileName), this);
}
