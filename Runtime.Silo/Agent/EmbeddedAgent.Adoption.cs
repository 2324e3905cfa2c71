using Runtime.Execution.Supervision;
using Runtime.Execution.Processes;
using Runtime.Execution.Python;
using Runtime.Grains;
using Runtime.Grains.Jobs;

namespace Runtime.Silo.Agent;

/// <summary>Apps whose silo died or was stopped: adopted by the next agent on the machine, or started again.</summary>
public sealed partial class EmbeddedAgent
{
    private const string AdoptionLock = "adopting.lock";

    /// <summary>
    /// Apps of this installation whose silo is gone (died, or stopped them on its way out): adopted when
    /// their process still runs, otherwise started again on the same port, so the project stays Deployed at
    /// the same address. An interactive run its silo stopped ends instead, as an idle stop does.
    /// </summary>
    private async Task AdoptOrphansAsync(CancellationToken ct)
    {
        EndOrphanedRuns();
        foreach (var path in RecordFiles.Find(Workloads, WorkloadRecord.FileName, depth: 2))
        {
            if (ct.IsCancellationRequested)
                return;
            if (!IsOrphan(RecordFiles.Read<WorkloadRecord>(path)))
                continue;
            var directory = Path.GetDirectoryName(path)!;
            // One agent at a time: a sibling scanning at the same moment finds the lock taken, and later a live owner.
            using var claim = TryLock(Path.Combine(directory, AdoptionLock));
            if (claim is null || RecordFiles.Read<WorkloadRecord>(path) is not { } record || !IsOrphan(record))
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

    private bool IsOrphan(WorkloadRecord? record) => record is not null && !_running.ContainsKey(record.AssignmentId)
        && _clusters.Contains(record.Owner.Cluster) && (record.SiloStopped || record.Owner.IsGone) && record.Owner != _owner;

    private async Task AdoptAsync(WorkloadRecord record, CancellationToken ct)
    {
        var stopped = record.SiloStopped;
        var why = stopped ? "the silo running it was stopped" : "the silo running it died and the process was gone";
        // Ours from now on; a sibling silo scanning later sees a live owner and leaves it.
        record = record with { Owner = _owner, SiloStopped = false };
        record.Save();
        var alive = record.Pid > 0 && ProcessTable.StartTime(record.Pid) == record.StartTime;
        AppSupervisor? supervisor = null;
        if (alive)
        {
            // Follow its output before anyone can see that we took it over: nothing printed from then on is lost.
            supervisor = Supervise(record);
            alive = supervisor.Adopt(record.Pid, record.StartTime);
        }
        if (!await queue.AdoptAsync(record.AssignmentId, AgentId, record.Attempt, ct))
        {
            // The owner moved on (stopped, deleted, rolled) while no agent watched, or this attempt's agent
            // died before the start completed and the start was claimed again: nothing to keep.
            if (alive)
                await supervisor!.StopAsync("its owner no longer runs it");
            Remove(record.Directory);
            return;
        }
        if (stopped && record.Grain.Type == "job")
        {
            // An interactive run ends with the silo that served it; the next visit starts another.
            if (alive)
                await supervisor!.StopAsync("its silo was stopped");
            Remove(record.Directory);
            LogServeEnded(record.Grain, record.AssignmentId);
            await Report<IJobGrain>(Guid.Parse(record.Grain.Key), j => j.ServeEnded(record.AssignmentId, "stopped with the silo serving it (the platform stopped or was scaled down); the next visit starts it again"));
            return;
        }
        if (alive)
        {
            _running[record.AssignmentId] = new Running(record.AssignmentId, record.Grain, supervisor!, record.Directory);
            LogAdopted(record.Grain, record.Pid, record.AssignmentId);
            _ = RunAsync(record, supervisor!);
            return;
        }
        await StartAgainAsync(record, why, ct);
    }

    // The app of a start this agent now holds, whose process is gone: started again from its record, or Failed with the reason.
    private async Task StartAgainAsync(WorkloadRecord record, string why, CancellationToken ct)
    {
        LogStartingAgain(record.Grain, record.AssignmentId, why);
        string failure;
        try
        {
            record = await PrepareAgainAsync(record, ct);
            if (_stopped.TryRemove(record.AssignmentId, out _))
            {
                // Stopped by its owner while it was being prepared: the owner was told then.
                Remove(record.Directory);
                return;
            }
            var supervisor = Supervise(record);
            _running[record.AssignmentId] = new Running(record.AssignmentId, record.Grain, supervisor, record.Directory);
            var outcome = await supervisor.StartAsync();
            if (_stopped.TryRemove(record.AssignmentId, out _) && _running.TryRemove(record.AssignmentId, out _))
            {
                // The stop came just before the app was listed as running: it was told, so it ends here.
                await supervisor.StopAsync("stopped");
                Remove(record.Directory);
                return;
            }
            if (outcome == StartOutcome.Ready && _running.ContainsKey(record.AssignmentId))
            {
                record = record with { Pid = supervisor.Workload!.Pid, StartTime = supervisor.Workload.StartTime };
                record.Save();
                LogStartedAgain(record.Grain, record.Pid);
                await Report(record.Grain, p => p.WorkloadRestarted(record.AssignmentId, why));
                _ = RunAsync(record, supervisor);
                return;
            }
            if (outcome != StartOutcome.Failed || !_running.TryRemove(record.AssignmentId, out _))
                return; // stopped meanwhile: by its owner (which was told), or with this silo (which left its note)
            failure = supervisor.FailureReason!;
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            _running.TryRemove(record.AssignmentId, out _);
            failure = e.Message;
        }
        LogStartAgainFailed(record.Grain, record.AssignmentId, failure.Split('\n')[0]);
        Remove(record.Directory);
        await Report(record.Grain, p => p.WorkloadFailed(record.AssignmentId, $"{why}, and the app could not be started again: {failure}"));
    }

    // What a start again needs and may have lost meanwhile: the unpacked revision and the Python environment.
    private async Task<WorkloadRecord> PrepareAgainAsync(WorkloadRecord record, CancellationToken ct)
    {
        var app = Path.Combine(record.Directory, "app");
        if (!Directory.Exists(app) || !Directory.EnumerateFileSystemEntries(app).Any())
        {
            LogUnpackingAgain(record.Grain, record.Spec.Revision);
            await UnpackAsync(record.Spec.Archive, app, ct);
        }
        if (Directory.Exists(record.VenvBin))
            return record;
        PythonEnvironment python;
        try
        {
            python = await PythonAsync(record.Grain, record.WorkloadId, record.Spec.WorkspaceId, record.Spec.PythonEnvironment, ct);
        }
        catch (PythonEnvironmentException e)
        {
            throw new InvalidOperationException($"building the Python environment '{record.Spec.PythonEnvironment}' failed: {e.Message}", e);
        }
        record = record with { VenvBin = python.Bin };
        record.Save();
        return record;
    }

    // An exclusive lock (flock) on the file, or null when another process holds it.
    private static FileStream? TryLock(string path)
    {
        try
        {
            return new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
        }
        catch (IOException)
        {
            return null;
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "{Grain}: adopted pid {Pid} (assignment {AssignmentId}), whose silo died")]
    private partial void LogAdopted(GrainId grain, int pid, Guid assignmentId);

    [LoggerMessage(Level = LogLevel.Information, Message = "{Grain}: {Why}; starting assignment {AssignmentId} again")]
    private partial void LogStartingAgain(GrainId grain, Guid assignmentId, string why);

    [LoggerMessage(Level = LogLevel.Information, Message = "{Grain}: started again as pid {Pid}")]
    private partial void LogStartedAgain(GrainId grain, int pid);

    [LoggerMessage(Level = LogLevel.Information, Message = "{Grain}: the unpacked revision {Revision} is gone; unpacking it again from the store")]
    private partial void LogUnpackingAgain(GrainId grain, string revision);

    [LoggerMessage(Level = LogLevel.Error, Message = "{Grain}: assignment {AssignmentId} could not be started again ({Reason}); its owner is told it failed")]
    private partial void LogStartAgainFailed(GrainId grain, Guid assignmentId, string reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "{Grain}: its interactive run (assignment {AssignmentId}) was stopped with its silo; the run ends")]
    private partial void LogServeEnded(GrainId grain, Guid assignmentId);

    [LoggerMessage(Level = LogLevel.Error, Message = "Could not adopt {Grain}")]
    private partial void LogAdoptionFailed(Exception error, GrainId grain);
}
