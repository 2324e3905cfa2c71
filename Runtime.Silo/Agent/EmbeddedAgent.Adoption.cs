using Runtime.Execution.Supervision;
using Runtime.Execution.Processes;

namespace Runtime.Silo.Agent;

/// <summary>Apps whose silo died: adopted by the next agent on the machine, or started again.</summary>
public sealed partial class EmbeddedAgent
{
    /// <summary>
    /// Apps of this cluster whose silo died: adopted when their process still runs, otherwise started
    /// again on the same port, so the project stays Deployed at the same address.
    /// </summary>
    private async Task AdoptOrphansAsync(CancellationToken ct)
    {
        EndOrphanedRuns();
        foreach (var path in RecordFiles.Find(Workloads, WorkloadRecord.FileName, depth: 2))
        {
            if (ct.IsCancellationRequested)
                return;
            var record = RecordFiles.Read<WorkloadRecord>(path);
            if (record is null || !record.Owner.IsOrphanedIn(_owner.Cluster) || _running.ContainsKey(record.AssignmentId))
                continue;
            try
            {
                await AdoptAsync(record, ct);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                LogAdoptionFailed(e, record.Grain);
            }
        }
    }

    private async Task AdoptAsync(WorkloadRecord record, CancellationToken ct)
    {
        // Ours from now on; a sibling silo scanning at the same moment sees a live owner and leaves it.
        record = record with { Owner = _owner };
        record.Save();
        // Follow its output before anyone can see that we took it over: nothing printed from then on is lost.
        var supervisor = Supervise(record);
        var adopted = supervisor.Adopt(record.Pid, record.StartTime);
        if (!await queue.AdoptAsync(record.AssignmentId, AgentId, record.Attempt, ct))
        {
            // The project moved on (stopped, deleted, rolled) while no agent watched, or this attempt's agent
            // died before the start completed and the start was claimed again: nothing to keep.
            if (adopted)
                await supervisor.StopAsync("its project no longer runs it");
            Remove(record.Directory);
            return;
        }
        _running[record.AssignmentId] = new Running(record.AssignmentId, record.Grain, supervisor, record.Directory);
        if (adopted)
            LogAdopted(record.Grain, record.Pid);
        else
        {
            LogRestartingOrphan(record.Grain);
            var outcome = await supervisor.StartAsync();
            if (outcome != StartOutcome.Ready)
            {
                _running.TryRemove(record.AssignmentId, out _);
                Remove(record.Directory);
                if (outcome == StartOutcome.Failed)
                    await Report(record.Grain, p => p.WorkloadFailed(record.AssignmentId, supervisor.FailureReason!));
                return;
            }
            record = record with { Pid = supervisor.Workload!.Pid, StartTime = supervisor.Workload.StartTime };
            record.Save();
            await Report(record.Grain, p => p.WorkloadRestarted(record.AssignmentId, "the silo running it died and the process was gone"));
        }
        _ = RunAsync(record, supervisor);
    }
}
