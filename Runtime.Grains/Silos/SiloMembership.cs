using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Npgsql;

namespace Runtime.Grains.Silos;

/// <summary>
/// Keeps this silo in the membership table and watches the others: a silo whose heartbeat is older
/// than <see cref="DeliveryOptions.SiloDeadAfter"/> is declared dead and its claims are released at
/// once, without waiting for each lease to run out. Stopping cleanly releases this silo's own claims.
/// </summary>
public sealed partial class SiloMembership(
    NpgsqlDataSource dataSource,
    SiloIdentity silo,
    DeliverySignals signals,
    TimeProvider time,
    IOptions<DeliveryOptions> options,
    ILogger<SiloMembership> logger) : BackgroundService
{
    private readonly DeliveryOptions _options = options.Value;

    public override async Task StartAsync(CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        await using var command = dataSource.CreateCommand("""
            INSERT INTO silos (id, name, host, pid, started_at, heartbeat_at, status) VALUES ($1, $2, $3, $4, $5, $5, 'active')
            """);
        foreach (var value in new object[] { silo.Id, silo.Name, Environment.MachineName, Environment.ProcessId, now })
            command.Parameters.Add(new NpgsqlParameter { Value = value });
        await command.ExecuteNonQueryAsync(cancellationToken);
        LogJoined(silo.Name, silo.Id, Environment.ProcessId);
        await base.StartAsync(cancellationToken);
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await Task.Delay(_options.HeartbeatInterval, time, stoppingToken);
                await RunOnceAsync(stoppingToken);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e)
            {
                LogHeartbeatFailed(e, silo.Name);
            }
        }
    }

    /// <summary>One heartbeat and one sweep; returns how many silos this sweep declared dead.</summary>
    public async Task<int> RunOnceAsync(CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        await using (var heartbeat = dataSource.CreateCommand("""
            WITH before AS (SELECT status FROM silos WHERE id = $1)
            UPDATE silos SET heartbeat_at = $2, status = 'active', ended_at = NULL WHERE id = $1
            RETURNING (SELECT status FROM before)
            """))
        {
            heartbeat.Parameters.Add(new NpgsqlParameter { Value = silo.Id });
            heartbeat.Parameters.Add(new NpgsqlParameter { Value = now });
            if (await heartbeat.ExecuteScalarAsync(cancellationToken) is "dead")
                LogRevived(silo.Name);
        }

        var dead = new List<(Guid Id, string Name)>();
        // The starts, stops and checks its agent had claimed and not finished go back to the queue now,
        // for another agent; its runs are not run twice: LostRuns fails them.
        await using (var sweep = dataSource.CreateCommand($"""
            WITH dead AS (
                UPDATE silos SET status = 'dead', ended_at = $1
                WHERE status = 'active' AND heartbeat_at < $1 - $2 AND id <> $3
                RETURNING id, name),
            released AS ({ReleaseClaims("(SELECT id::text FROM dead)", "$1")})
            SELECT id, name FROM dead
            """))
        {
            sweep.Parameters.Add(new NpgsqlParameter { Value = now });
            sweep.Parameters.Add(new NpgsqlParameter { Value = _options.SiloDeadAfter });
            sweep.Parameters.Add(new NpgsqlParameter { Value = silo.Id });
            await using var reader = await sweep.ExecuteReaderAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
                dead.Add((reader.GetGuid(0), reader.GetString(1)));
        }
        if (dead.Count == 0)
            return 0;

        foreach (var (id, name) in dead)
            LogDeclaredDead(name, id, _options.SiloDeadAfter);
        // The agents of the others see it: the runs it claimed are lost (LostRuns), its apps adopted.
        signals.Assignments.Set();
        return dead.Count;
    }

    // The unfinished claims, other than runs, of the agents of the silos `holders` lists, made claimable at `now`.
    private static string ReleaseClaims(string holders, string now) => $"""
        UPDATE assignments SET status = 'pending', claimed_by = NULL, available_at = {now}
        WHERE status = 'claimed' AND kind <> 'run' AND claimed_by IN {holders}
        RETURNING 1
        """;

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        await base.StopAsync(cancellationToken);
        try
        {
            var now = time.GetUtcNow();
            await using (var command = dataSource.CreateCommand($"""
                WITH released AS ({ReleaseClaims("($1::text)", "$2")})
                UPDATE silos SET status = 'stopped', ended_at = $2 WHERE id = $1
                """))
            {
                command.Parameters.Add(new NpgsqlParameter { Value = silo.Id });
                command.Parameters.Add(new NpgsqlParameter { Value = now });
                await command.ExecuteNonQueryAsync(cancellationToken);
            }
            LogLeft(silo.Name);
        }
        catch (Exception e) when (e is NpgsqlException or OperationCanceledException)
        {
            // The database is going away too; the leases will run out on their own.
            LogLeaveFailed(e, silo.Name);
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Silo {SiloName} had been declared dead (paused past the deadline); its runs were given up as lost and it rejoins now")]
    private partial void LogRevived(string siloName);

    [LoggerMessage(Level = LogLevel.Information, Message = "Silo {SiloName} joined as {SiloId} (pid {Pid})")]
    private partial void LogJoined(string siloName, Guid siloId, int pid);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Silo {SiloName} ({SiloId}) missed heartbeats for {DeadAfter}; declared dead")]
    private partial void LogDeclaredDead(string siloName, Guid siloId, TimeSpan deadAfter);

    [LoggerMessage(Level = LogLevel.Information, Message = "Silo {SiloName} left")]
    private partial void LogLeft(string siloName);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Silo {SiloName} could not record its departure")]
    private partial void LogLeaveFailed(Exception exception, string siloName);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Heartbeat of silo {SiloName} failed")]
    private partial void LogHeartbeatFailed(Exception exception, string siloName);
}
