using Runtime.Execution.Processes;
using Runtime.Grains.Cluster;
using Npgsql;

namespace Runtime.Benchmarks.Grains;

/// <summary>
/// The <c>orleans</c> section of <c>grains</c>: the same measures on the Orleans engine, its silos
/// as child processes of this benchmark, against a baseline measured in the same run.
/// </summary>
internal static class OrleansBenchmark
{
    /// <summary>The section's JSON, and whether every correctness check held.</summary>
    public sealed record Section(object Json, bool Correct);

    private const int ReminderCount = 10_000;
    private const int Kills = 10;
    private static readonly TimeSpan ReminderWindow = TimeSpan.FromSeconds(60);

    public static async Task<Section> RunAsync(string connectionString, int callers, int grains)
    {
        await using (var dataSource = NpgsqlDataSource.Create(connectionString))
            await OrleansQueries.EnsureAsync(dataSource);
        var logPath = Artifacts.PathOf("grains-silos.log");
        await using var log = new StreamWriter(logPath) { AutoFlush = true };
        await using var cluster = new BenchCluster(connectionString, new ConsoleOutput(log));

        Console.WriteLine($"\norleans: one silo as a child process, silos' output in {logPath}");
        var startup = await cluster.StartSiloAsync();
        await cluster.ConnectAsync();
        Console.WriteLine($"silo active after {startup.TotalSeconds:0.0} s");
        var calls = await OrleansMeasures.MeasureCallsAsync(cluster, connectionString, callers, grains);
        Console.WriteLine();
        Console.WriteLine($"{"orleans write calls/s",-28}{calls.WriteRate,10:0}   rounds: {Rounds(calls.WriteRounds)}");
        Console.WriteLine($"{"bare transactions/s",-28}{calls.BareRate,10:0}   rounds: {Rounds(calls.BareRounds)}");
        Console.WriteLine($"{"write ratio (target >= 0.7)",-28}{calls.WriteRatio,10:0.00}   {Stats.Verdict(calls.WriteRatio >= 0.7)}");
        Console.WriteLine($"{"stored counts = acked calls",-28}{grains - calls.Mismatched,10}   of {grains} grains, {calls.Acknowledged} calls acknowledged");
        Console.WriteLine($"{"orleans read-only calls/s",-28}{calls.ReadRate,10:0}   rounds: {Rounds(calls.ReadRounds)}");
        Console.WriteLine($"{"read ratio (target >= 10)",-28}{calls.ReadRatio,10:0.0}   {Stats.Verdict(calls.ReadRatio >= 10)}");
        await cluster.StopSilosAsync();

        // A fresh single silo, so that every reminder is owned by it.
        await cluster.StartSiloAsync();
        var reminders = await OrleansReminders.MeasureAsync(cluster, cluster.Database, ReminderCount, ReminderWindow, callers);
        var p99 = Stats.Percentile(reminders.LatenessMs, 99);
        Console.WriteLine();
        Console.WriteLine($"{"orleans reminders fired",-28}{reminders.Fires,10}   each exactly once: {reminders.ExactlyOnce} ({reminders.FiredOnce} once, {reminders.RemindersLeft} left registered)");
        Console.WriteLine($"{"lateness p50 (ms)",-28}{Stats.Percentile(reminders.LatenessMs, 50),10:0.0}");
        Console.WriteLine($"{"lateness p99 (ms, <= 100)",-28}{p99,10:0.0}   {Stats.Verdict(p99 <= 100)}");
        Console.WriteLine($"{"lateness max (ms)",-28}{Max(reminders.LatenessMs),10:0.0}");

        var failover = await OrleansFailover.MeasureAsync(cluster, Kills);
        var sorted = failover.Seconds.Order().ToList();
        Console.WriteLine();
        Console.WriteLine($"{"failover answered",-28}{failover.Seconds.Count,10}   of {failover.Kills} kills, {failover.ServedElsewhere} by the other silo");
        Console.WriteLine($"{"failover p50 (s)",-28}{Stats.Percentile(sorted, 50),10:0.00}");
        Console.WriteLine($"{"failover p99 (s, <= 3)",-28}{Stats.Percentile(sorted, 99),10:0.00}   {Stats.Verdict(Stats.Percentile(sorted, 99) <= 3)}");
        Console.WriteLine($"{"failover max (s)",-28}{Max(sorted),10:0.00}");
        await cluster.StopSilosAsync();

        var json = new
        {
            calls = new
            {
                callers, grains, silos = 1,
                writeCallsPerSecond = calls.WriteRate, bareTransactionsPerSecond = calls.BareRate, writeRatio = calls.WriteRatio,
                writeRounds = calls.WriteRounds, bareRounds = calls.BareRounds, writeTarget = 0.7,
                acknowledgedCalls = calls.Acknowledged, grainsWithStoredCountEqualToAcknowledged = grains - calls.Mismatched,
                readOnlyCallsPerSecond = calls.ReadRate, readOnlyRatio = calls.ReadRatio, readOnlyRounds = calls.ReadRounds, readOnlyTarget = 10,
            },
            reminders = new
            {
                count = reminders.Count, windowSeconds = ReminderWindow.TotalSeconds, silos = 1, periodSeconds = OrleansBenchGrain.ReminderPeriod.TotalSeconds,
                registerSeconds = reminders.RegisterSeconds, fired = reminders.Fires, firedOnce = reminders.FiredOnce, leftRegistered = reminders.RemindersLeft,
                exactlyOnce = reminders.ExactlyOnce, p50Ms = Stats.Percentile(reminders.LatenessMs, 50), p99Ms = p99, maxMs = Max(reminders.LatenessMs), targetP99Ms = 100,
            },
            failover = new
            {
                silos = 2, kills = failover.Kills, answered = failover.Seconds.Count, servedByOtherSilo = failover.ServedElsewhere,
                p50Seconds = Stats.Percentile(sorted, 50), p99Seconds = Stats.Percentile(sorted, 99), maxSeconds = Max(sorted), seconds = failover.Seconds, targetP99Seconds = 3,
            },
        };
        return new Section(json, calls.Correct && reminders.ExactlyOnce && failover.Correct);
    }

    private static double Max(IReadOnlyList<double> values) => values.Count == 0 ? double.NaN : values.Max();

    private static string Rounds(IEnumerable<double> rounds) => string.Join(", ", rounds.Select(r => r.ToString("0")));
}
