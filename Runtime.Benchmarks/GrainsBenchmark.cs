using System.Diagnostics;

namespace Runtime.Benchmarks;

/// <summary>
/// <c>grains</c>: Orleans grain calls per second against the bare transaction they wrap (writes and
/// read-only calls), reminder lateness with 10,000 reminders due within a minute on one silo, and
/// failover after a kill -9 (<see cref="Runtime.Benchmarks.Grains.OrleansBenchmark"/>).
/// </summary>
internal static class GrainsBenchmark
{
    private const int Callers = 32;
    private const int Grains = 1000;

    public static async Task<int> RunAsync()
    {
        Console.WriteLine($"Runtime.Benchmarks grains — {Environment.ProcessorCount} cores, .NET {Environment.Version}");
        await using var database = await BenchDatabase.StartAsync();
        Console.WriteLine($"PostgreSQL {database.Version} (fsync on) on port {database.Server.Port}");

        var orleans = await Runtime.Benchmarks.Grains.OrleansBenchmark.RunAsync(database.ConnectionString, Callers, Grains);
        var result = new
        {
            benchmark = "grains",
            at = DateTimeOffset.UtcNow,
            machine = new { cores = Environment.ProcessorCount, postgres = database.Version, dotnet = Environment.Version.ToString() },
            orleans = orleans.Json,
        };
        var output = await Artifacts.WriteAsync("grains", result);
        Console.WriteLine($"\nwrote {output}");
        if (!orleans.Correct)
            Console.WriteLine("CORRECTNESS CHECK FAILED");
        return orleans.Correct ? 0 : 1;
    }

    internal static async Task<long> RunForAsync(TimeSpan length, Func<string, Task<long>> call, string[] keys)
    {
        long done = 0;
        var stopAt = Stopwatch.GetTimestamp() + (long)(length.TotalSeconds * Stopwatch.Frequency);
        var workers = Enumerable.Range(0, Callers).Select(w => Task.Run(async () =>
        {
            var random = new Random(w);
            while (Stopwatch.GetTimestamp() < stopAt)
            {
                await call(keys[random.Next(keys.Length)]);
                Interlocked.Increment(ref done);
            }
        }));
        await Task.WhenAll(workers);
        return done;
    }
}
