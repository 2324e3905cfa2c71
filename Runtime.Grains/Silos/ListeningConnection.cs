using Npgsql;

namespace Runtime.Grains.Silos;

/// <summary>
/// One connection that LISTENs on some channels and is kept so: a dead connection surfaces within
/// 30 s (a ping when nothing arrived), and a lost one is opened again after a backoff that doubles up
/// to 10 s. The owner learns when it listens (with the failures before) and when it lost the connection.
/// </summary>
internal static class ListeningConnection
{
    private static readonly TimeSpan Quiet = TimeSpan.FromSeconds(30);

    public static async Task RunAsync(
        NpgsqlDataSource dataSource,
        IReadOnlyList<string> channels,
        Action<NpgsqlNotificationEventArgs> notified,
        Action<int> listening,
        Action<Exception, int> lost,
        TimeProvider time,
        CancellationToken stoppingToken)
    {
        var failures = 0;
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await using var connection = await dataSource.OpenConnectionAsync(stoppingToken);
                connection.Notification += (_, e) => notified(e);
                await using (var listen = new NpgsqlCommand(string.Join("; ", channels.Select(c => $"LISTEN {c}")), connection))
                    await listen.ExecuteNonQueryAsync(stoppingToken);
                listening(failures);
                failures = 0;
                while (!stoppingToken.IsCancellationRequested)
                {
                    // Wakes for each notification; the timeout lets a dead connection surface.
                    if (!await connection.WaitAsync(Quiet, stoppingToken))
                    {
                        await using var ping = new NpgsqlCommand("SELECT 1", connection);
                        await ping.ExecuteScalarAsync(stoppingToken);
                    }
                }
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e)
            {
                failures++;
                lost(e, failures);
                await Task.Delay(TimeSpan.FromMilliseconds(Math.Min(10_000, 200 * Math.Pow(2, failures))), time, stoppingToken)
                    .ContinueWith(_ => { }, TaskScheduler.Default);
            }
        }
    }
}
