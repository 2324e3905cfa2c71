using Runtime.Agent.Hosting;

namespace Runtime.Agent.Workloads;

/// <summary>
/// At start-up, before the first heartbeat: the workloads recorded by this agent before it restarted are taken
/// over (still running), started again (apps whose process is gone) or reported ended (runs whose process is
/// gone), so the first heartbeat already lists them.
/// </summary>
internal sealed partial class WorkloadAdoption(
    AgentSettings settings, AppWorkloads apps, RunWorkloads runs, WorkloadPreparation preparation, ILogger<WorkloadAdoption> logger) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken)
    {
        AdoptAll();
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    /// <summary>Takes over every recorded workload; returns how many records there were.</summary>
    public int AdoptAll()
    {
        var count = 0;
        foreach (var path in WorkloadRecord.Find(settings.Workloads).ToList())
        {
            var directory = Path.GetDirectoryName(path)!;
            if (WorkloadRecord.Read(path) is not { } record)
            {
                LogUnreadable(path);
                preparation.Remove(directory);
                continue;
            }
            count++;
            // The folder may have moved with the data directory: the record's own path is what holds.
            record = record with { Directory = directory };
            try
            {
                // Each is in the registry once its call returns; restarts and waits for ends go on in the background.
                _ = record.Kind == AssignmentKinds.Run ? runs.AdoptAsync(record) : apps.AdoptAsync(record);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                LogAdoptionFailed(e, record.WorkloadId, record.AssignmentId);
            }
        }
        if (count > 0)
            LogAdopting(count);
        // Folders without a record: starts cut short by the restart, whose assignments the Api hands out again.
        if (Directory.Exists(settings.Workloads))
        {
            foreach (var folder in Directory.EnumerateDirectories(settings.Workloads))
            {
                if (!File.Exists(Path.Combine(folder, WorkloadRecord.FileName)))
                    preparation.Remove(folder);
            }
        }
        return count;
    }
}
