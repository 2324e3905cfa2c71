using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Npgsql;
using Runtime.Grains.Silos;

namespace Runtime.Grains.Jobs;

/// <summary>
/// Runs whose agent is gone: the silo that claimed them was declared dead (or left), or the custom
/// environment whose agent took them went Offline, while they had not ended. Every heartbeat interval
/// a silo looks for them and tells their job, which fails them with "agent lost" (and retries them if
/// the job says so). Asking again is harmless, so a missed turn is made up by the next.
/// </summary>
public sealed partial class LostRuns(
    NpgsqlDataSource dataSource, Orleans.IGrainFactory grains, IOptions<DeliveryOptions> options, TimeProvider time, ILogger<LostRuns> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await SweepAsync(stoppingToken);
            }
            catch (Exception e) when (e is NpgsqlException or TimeoutException or DomainException)
            {
                LogSweepFailed(e);
            }
            catch (OperationCanceledException)
            {
                return;
            }
            await Task.Delay(options.Value.HeartbeatInterval, time, stoppingToken).ContinueWith(_ => { }, TaskScheduler.Default);
        }
    }

    public async Task<int> SweepAsync(CancellationToken ct)
    {
        var lost = new List<(Guid Job, Guid Run, string Agent)>();
        await using (var command = dataSource.CreateCommand("""
            (SELECT r.job_id, r.id, 'silo ' || s.name || ', which ran it, is gone' FROM runs r
             JOIN assignments a ON a.workload_id = 'run/' || r.id::text AND a.kind = 'run'
             JOIN silos s ON s.id::text = a.claimed_by
             WHERE r.ended_at IS NULL AND r.status IN ('Starting', 'Running') AND s.status IN ('dead', 'stopped')
             LIMIT 100)
            UNION ALL
            (SELECT r.job_id, r.id, 'environment ' || e.name || ', whose agent ran it, is offline' FROM runs r
             JOIN assignments a ON a.workload_id = 'run/' || r.id::text AND a.kind = 'run' AND a.status IN ('claimed', 'completed')
             JOIN environments e ON e.key = a.environment_id
             WHERE r.ended_at IS NULL AND r.status IN ('Pending', 'Starting', 'Running') AND e.state ->> 'status' = 'Offline'
             LIMIT 100)
            """))
        {
            await using var reader = await command.ExecuteReaderAsync(ct);
            while (await reader.ReadAsync(ct))
                lost.Add((Guid.Parse(reader.GetString(0)), reader.GetGuid(1), reader.GetString(2)));
        }
        foreach (var (job, run, agent) in lost)
        {
            LogLost(job, run, agent);
            await grains.GetGrain<IJobGrain>(job).AgentLost(run, $"agent lost: {agent}");
        }
        return lost.Count;
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Job {JobId}: run {RunId} lost its agent ({Agent})")]
    private partial void LogLost(Guid jobId, Guid runId, string agent);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Looking for runs whose agent is gone failed; trying again")]
    private partial void LogSweepFailed(Exception error);
}
