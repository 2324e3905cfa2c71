using Runtime.Grains;
using Runtime.Grains.Projects;

namespace Runtime.Silo.Agent;

/// <summary>
/// What an agent writes beside each app it runs (<c>workload.json</c>, 0600): enough for another agent on
/// the same machine to adopt the app if this one dies, or to start it again. The settings in it are
/// the start spec's, secrets still encrypted.
/// </summary>
/// <param name="Owner">The silo running the app and its cluster: while it lives, nobody adopts.</param>
/// <param name="SiloStopped">Its silo was asked to stop and stopped the app on the way out: any agent of the installation takes it over at once (a project's app is started again; an interactive job's run ends).</param>
/// <param name="Attempt">Which claim of the start assignment this is: an attempt whose agent died before the start completed is not adopted once another attempt has.</param>
internal sealed record WorkloadRecord(
    Guid AssignmentId, GrainId Grain, string WorkloadId, StartSpec Spec, string Directory, string VenvBin, int Port,
    int Pid, long StartTime, RecordOwner Owner, int Attempt = 0, bool SiloStopped = false)
{
    public const string FileName = "workload.json";

    public void Save() => RecordFiles.Save(Path.Combine(Directory, FileName), this);
}
