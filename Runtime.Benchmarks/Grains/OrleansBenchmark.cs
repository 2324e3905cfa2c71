using Runtime.AppHost.Processes;
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
        };
        return new Section(json, calls.Correct);
    }

    private static string Rounds(IEnumerable<double> rounds) => string.Join(", ", rounds.Select(r => r.ToString("0")));
}
