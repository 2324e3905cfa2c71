using Runtime.Execution.Processes;
using Runtime.Execution.Supervision;
using Runtime.Execution.Workloads;

namespace Runtime.Execution.Agents;

/// <summary>
/// Workloads whose agent is gone (it died, restarted, or stopped them on its way out), taken over by the next
/// agent of the cluster on the machine: an app still running is followed; one whose process is gone is started
/// again on the same port, so its project stays Deployed at the same address; a run still running is followed
/// to its end. What the channel does not hand over (<see cref="IAgentChannel.TakeOverAsync"/>) is ended.
/// </summary>
public sealed partial class AgentRunner
{
    private const string AdoptionLock = "adopting.lock";
    private int _scans;

    /// <summary>Takes over every orphaned workload of this runner's clusters; returns how many it took on.</summary>
    public async Task<int> AdoptOrphansAsync(CancellationToken ct)
    {
        var first = Interlocked.Increment(ref _scans) == 1;
        var count = 0;
        foreach (var path in WorkloadRecord.Find(settings.Workloads).ToList())
        {
            if (ct.IsCancellationRequested)
                break;
            if (!IsOrphan(WorkloadRecord.Read(path)))
                continue;
            var directory = Path.GetDirectoryName(path)!;
            // One agent at a time: a sibling scanning at the same moment finds the lock taken, and later a live owner.
            using var claim = TryLock(Path.Combine(directory, AdoptionLock));
            if (claim is null || WorkloadRecord.Read(path) is not { } record || !IsOrphan(record))
                continue;
            count++;
            try
            {
                // The folder may have moved with the data directory: the record's own path is what holds.
                await AdoptAsync(record with { Directory = directory }, ct);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                LogAdoptionFailed(e, record.WorkloadId, record.AssignmentId);
            }
        }
        if (first && !settings.SharesDataDirectory)
            RemoveUnrecorded();
        if (first)
            await RemoveOrphanContainersAsync(ct);
        if (count > 0)
            LogAdopting(count);
        return count;
    }

    private bool IsOrphan(WorkloadRecord? record) => record is not null && !_registry.Holds(record.AssignmentId)
        && settings.Clusters.Contains(record.Owner.Cluster) && (record.LeftByStop || record.Owner.IsGone) && record.Owner != settings.Owner;

    private async Task AdoptAsync(WorkloadRecord record, CancellationToken ct)
    {
        var leftByStop = record.LeftByStop;
        // Ours from now on; a sibling scanning later sees a live owner and leaves it.
        record = record with { Owner = settings.Owner, LeftByStop = false };
        record.Save();
        if (record.Kind == AssignmentKinds.Run)
        {
            if (await channel.TakeOverAsync(record, ct))
            {
                _ = AdoptRunAsync(record);
                return;
            }
            // Its run was failed as lost when its agent died: what is left of it ends here.
            await EndAsync(record);
            Remove(record.Directory);
            LogOrphanedRunEnded(record.WorkloadId, record.Handle.ToString());
            return;
        }

        var supervisor = Supervise(record);
        var alive = false;
        if (record.Ready)
        {
            // Follow its output before anyone can see that we took it over: nothing printed from then on is lost.
            alive = await supervisor.AdoptAsync(record.Handle);
        }
        else
            await EndAsync(record); // half started when its agent died: started over below, or ended
        if (!await channel.TakeOverAsync(record, ct))
        {
            // Its owner moved on (stopped, deleted, rolled) while no agent watched, or this attempt's agent died before
            // the start completed and the start was claimed again: nothing to keep.
            if (alive)
                await supervisor.StopAsync("its owner no longer runs it");
            Remove(record.Directory);
            return;
        }
        if (leftByStop && record.Workload.Interactive)
        {
            // An interactive run ends with the agent that served it; the next visit starts another.
            if (alive)
                await supervisor.StopAsync($"its {settings.Host} was stopped");
            Remove(record.Directory);
            LogServeEnded(record.WorkloadId, record.AssignmentId);
            await channel.ReportAsync(Report(record.AssignmentId, AgentEvents.ServeEnded,
                reason: $"stopped with the {settings.Host} serving it (the platform stopped or was scaled down); the next visit starts it again"));
            return;
        }
        var app = _registry.Apps[record.AssignmentId] = new WorkloadRegistry.App(record.AssignmentId, record.WorkloadId, supervisor, record.Directory, record.Port);
        if (alive)
        {
            app.Ready = true;
            LogAdopted(record.WorkloadId, record.AssignmentId, record.Handle.ToString());
            _ = WatchAsync(record, supervisor);
            return;
        }
        var why = !record.Ready ? null
            : leftByStop ? $"the {settings.Host} running it was stopped"
            : $"the {settings.Host} running it {settings.HostGone} and the process was gone";
        LogStartingAgain(record.WorkloadId, record.AssignmentId, why ?? "its start was cut short");
        _ = StartAgainAsync(record, why, ct);
    }

    // The app of a start this agent now holds, whose process is gone: started again from its record (a start cut
    // short is done again, and completed), or Failed with the reason.
    private async Task StartAgainAsync(WorkloadRecord record, string? why, CancellationToken ct)
    {
        try
        {
            record = await PrepareAgainAsync(record, ct);
            var supervisor = Supervise(record);
            if (!_registry.Apps.TryGetValue(record.AssignmentId, out var app) || !_registry.Apps.TryUpdate(record.AssignmentId, app with { Supervisor = supervisor }, app))
            {
                Remove(record.Directory); // stopped by its owner while it was being prepared: the owner was told then
                return;
            }
            await LaunchAsync(record, supervisor, why);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            if (!_registry.Apps.TryRemove(record.AssignmentId, out _))
                return;
            LogFailed(record.WorkloadId, record.AssignmentId, e.Message);
            Remove(record.Directory);
            var reason = $"{why ?? $"its {settings.Host} was gone"}, and the app could not be started again: {e.Message}";
            await channel.ReportAsync(Report(record.AssignmentId, AgentEvents.Failed, reason: reason));
            if (why is null)
                await channel.CompleteAsync(record.AssignmentId, false, new { reason });
        }
    }

    // The process (its whole group) or container a record names, if it still runs: ended at once.
    private async Task EndAsync(WorkloadRecord record)
    {
        if (record.Executor == ProcessExecutor.ExecutorName)
        {
            if (record.Pid > 0 && ProcessTable.StartTime(record.Pid) == record.StartTime)
                Signals.SendToGroup(record.Pid, Signals.SigKill);
            return;
        }
        if (executors.Docker is { } docker && record.ContainerId is not null)
        {
            var spec = new ProcessSpec(record.WorkloadId, ["true"], record.AppDirectory, new Dictionary<string, string>(), OutputDirectory: record.OutputDirectory);
            if (await docker.AdoptAsync(spec, record.Handle, new RecentLines(channel.Logs, 1), CancellationToken.None) is { } running)
                await running.StopAsync("its agent is gone", TimeSpan.Zero);
        }
    }

    // Containers of this agent's cluster that no record names: left by an agent that died between starting one and recording it.
    private async Task RemoveOrphanContainersAsync(CancellationToken ct)
    {
        if (executors.Docker is not { } docker)
            return;
        var recorded = WorkloadRecord.Find(settings.Workloads).Select(WorkloadRecord.Read).OfType<WorkloadRecord>().Select(r => r.WorkloadId)
            .Concat(_registry.Apps.Values.Select(a => a.WorkloadId)).Concat(_registry.Runs.Values.Select(r => r.WorkloadId)).ToHashSet(StringComparer.Ordinal);
        try
        {
            foreach (var removed in await docker.RemoveOrphansAsync(recorded, ct))
                LogOrphanContainerRemoved(removed);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            LogOrphanSweepFailed(e);
        }
    }

    // Folders without a record: starts cut short by a restart, whose assignments are handed out again.
    private void RemoveUnrecorded()
    {
        if (!Directory.Exists(settings.Workloads))
            return;
        foreach (var folder in Directory.EnumerateDirectories(settings.Workloads))
        {
            var path = Path.Combine(folder, WorkloadRecord.FileName);
            if (!File.Exists(path) || WorkloadRecord.Read(path) is null)
                Remove(folder);
        }
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
}
