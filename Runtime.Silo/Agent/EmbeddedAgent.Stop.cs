using Npgsql;
using Runtime.Grains;

namespace Runtime.Silo.Agent;

/// <summary>
/// The agent's start and stop as a service. A silo asked to stop ends its apps' processes and leaves
/// their folders with a note in each record, and writes nothing to the database (PostgreSQL may be
/// stopping at the same moment): whichever agent of the installation scans next, a sibling at once or
/// this machine's next silo after a restart, starts a project's app again and ends an interactive run.
/// </summary>
public sealed partial class EmbeddedAgent
{
    private static readonly TimeSpan OwnerRetry = TimeSpan.FromSeconds(2);

    /// <summary>Set once the silo is stopping: a start cut short by it leaves its claim to be released, not failed.</summary>
    private volatile bool _siloStopping;

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        _siloStopping = true;
        var loop = base.StopAsync(cancellationToken);
        // At once, not after the loop: an app the orphan scan is starting again waits for no readiness timeout.
        await StopAppsAsync();
        await loop;
        await StopRunsAsync();
        await StopAppsAsync(); // what the last claims started meanwhile
        _probe.Dispose();
    }

    private async Task StopAppsAsync()
    {
        foreach (var running in _running.Values)
        {
            if (!_running.TryRemove(running.AssignmentId, out _))
                continue;
            await running.Supervisor.StopAsync("silo stopping");
            // Written once the process is gone: an agent that reads the note never finds the app still running.
            var path = Path.Combine(running.Directory, WorkloadRecord.FileName);
            if (RecordFiles.Read<WorkloadRecord>(path) is { } record)
            {
                (record with { SiloStopped = true }).Save();
                LogLeftForNextStart(running.Grain, running.AssignmentId);
            }
        }
    }

    // The installation's id names this silo's records; until the database answers, the agent does nothing.
    private async Task<bool> KnowOwnerAsync(CancellationToken ct)
    {
        while (true)
        {
            try
            {
                _owner = await RecordOwner.CurrentAsync(dataSource, ct);
                _clusters = [_owner.Cluster, RecordOwner.LegacyCluster(dataSource)];
                return true;
            }
            catch (Exception e) when (e is NpgsqlException or TimeoutException)
            {
                LogOwnerUnknown(e);
            }
            try
            {
                await Task.Delay(OwnerRetry, time, ct);
            }
            catch (OperationCanceledException)
            {
                return false;
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "{Grain}: stopped with the silo; assignment {AssignmentId} is left for the next agent to start again")]
    private partial void LogLeftForNextStart(GrainId grain, Guid assignmentId);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not read the installation's id from the database; trying again")]
    private partial void LogOwnerUnknown(Exception error);
}
