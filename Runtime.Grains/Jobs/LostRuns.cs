using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Npgsql;
using Runtime.Grains.Delivery;

namespace Runtime.Grains.Jobs;

/// <summary>
/// Runs whose agent is gone: the silo that claimed them was declared dead (or left) while they had not
/// ended. Every heartbeat interval a silo looks for them and tells their job, which fails them with
/// "agent lost" (and retries them if the job says so). Asking again is harmless, so a missed turn is
/// made up by the next.
/// </summary>
public sealed partial class LostRuns(
    NpgsqlDataSource dataSource, IGrainFactory grains, IOptions<DeliveryOptions> options, TimeProvider time, ILogger<LostRuns> logger) : BackgroundService
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
        var lost = new List<(Guid Job, Guid Run, string Silo)>();
        await using (var command = dataSource.CreateCommand("""
            SELECT r.job_id, r.id, s.name FROM runs r
            JOIN assignments a ON a.workload_id = 'run/' || r.id::text AND a.kind = 'run'
            JOIN silos s ON s.id::text = a.claimed_by
            WHERE r.ended_at IS NULL AND r.status IN ('Starting', 'Running') AND s.status IN ('dead', 'stopped')
            LIMIT 100
            """))
        {
            await using var reader = await command.ExecuteReaderAsync(ct);
            while (await reader.ReadAsync(ct))
                lost.Add((Guid.Parse(reader.GetString(0)), reader.GetGuid(1), reader.GetString(2)));
        }
        foreach (var (job, run, silo) in lost)
        {
            LogLost(job, run, silo);
            await grains.Get<IJobGrain>(job).AgentLost(run, $"agent lost: silo {silo}, which ran it, is gone");
        }
        return lost.Count;
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Job {JobId}: run {RunId} lost its agent (silo {Silo} is gone)")]
    private partial void LogLost(Guid jobId, Guid runId, string silo);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Looking for runs whose agent is gone failed; trying again")]
    private partial void LogSweepFailed(Exception error);
}
