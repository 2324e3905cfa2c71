using Npgsql;
using Orleans;
using Runtime.Grains.Storage;

namespace Runtime.Benchmarks.Grains;

/// <summary>Orleans write and read-only calls against the bare transaction, with the callers and grains of the home-grown measure.</summary>
internal static class OrleansMeasures
{
    private const int Rounds = 3;
    private static readonly TimeSpan RoundLength = TimeSpan.FromSeconds(10);
    private static readonly TimeSpan WarmUp = TimeSpan.FromSeconds(3);

    /// <summary>What one run of <see cref="MeasureCallsAsync"/> found.</summary>
    public sealed record CallsResult(
        List<double> WriteRounds, List<double> BareRounds, List<double> ReadRounds, int Grains, long Acknowledged, int Mismatched)
    {
        public double WriteRate => Stats.Median(WriteRounds);

        public double BareRate => Stats.Median(BareRounds);

        public double ReadRate => Stats.Median(ReadRounds);

        public double WriteRatio => WriteRate / BareRate;

        public double ReadRatio => ReadRate / BareRate;

        /// <summary>Every grain's stored count equals the calls acknowledged to it.</summary>
        public bool Correct => Mismatched == 0;
    }

    /// <summary>
    /// Per round: Orleans write calls, then the bare transaction, then read-only calls, each for the
    /// same length, so that the machine's noise hits all three alike. One silo, already started.
    /// </summary>
    public static async Task<CallsResult> MeasureCallsAsync(BenchCluster cluster, string connectionString, int callers, int grains)
    {
        var keys = Enumerable.Range(0, grains).Select(i => $"bench-{i}").ToArray();
        var index = keys.Select((k, i) => (k, i)).ToDictionary(p => p.k, p => p.i);
        var acknowledged = new long[grains];
        var client = cluster.Client;
        async Task<long> Write(string key)
        {
            var count = await client.GetGrain<IOrleansBenchGrain>(key).Increment();
            Interlocked.Increment(ref acknowledged[index[key]]);
            return count;
        }
        Task<long> Read(string key) => client.GetGrain<IOrleansBenchGrain>(key).Count();

        // Every grain active before timing, as in the home-grown measure.
        await Parallel.ForEachAsync(keys, new ParallelOptions { MaxDegreeOfParallelism = callers }, async (k, _) => await Write(k));
        // The bare transaction runs on rows of its own (bench_grains, keys call-*), with the runtime's pool settings.
        await using var bare = RuntimeDatabase.Create(connectionString, "bench-bare-orleans");
        var bareKeys = Enumerable.Range(0, grains).Select(i => $"call-{i}").ToArray();
        await BareTransaction.SeedAsync(bare, bareKeys);
        await GrainsBenchmark.RunForAsync(WarmUp, Write, keys);
        await GrainsBenchmark.RunForAsync(WarmUp, key => BareTransaction.IncrementAsync(bare, key), bareKeys);
        await GrainsBenchmark.RunForAsync(WarmUp, Read, keys);

        var writes = new List<double>();
        var bares = new List<double>();
        var reads = new List<double>();
        for (var round = 0; round < Rounds; round++)
        {
            writes.Add(await GrainsBenchmark.RunForAsync(RoundLength, Write, keys) / RoundLength.TotalSeconds);
            bares.Add(await GrainsBenchmark.RunForAsync(RoundLength, key => BareTransaction.IncrementAsync(bare, key), bareKeys) / RoundLength.TotalSeconds);
            reads.Add(await GrainsBenchmark.RunForAsync(RoundLength, Read, keys) / RoundLength.TotalSeconds);
            Console.WriteLine($"orleans round {round + 1}: write {writes[^1]:0}/s, bare {bares[^1]:0}/s, read-only {reads[^1]:0}/s");
        }

        var mismatched = await CheckCountsAsync(bare, keys, acknowledged);
        return new CallsResult(writes, bares, reads, grains, acknowledged.Sum(), mismatched);
    }

    // The stored count of every grain, read from PostgreSQL, against the increments acknowledged to the callers.
    private static async Task<int> CheckCountsAsync(NpgsqlDataSource database, string[] keys, long[] acknowledged)
    {
        var stored = new Dictionary<string, long>(StringComparer.Ordinal);
        await using (var command = database.CreateCommand("SELECT key, (state->>'count')::bigint FROM grain_states WHERE key LIKE 'bench/bench-%'"))
        await using (var reader = await command.ExecuteReaderAsync())
        {
            while (await reader.ReadAsync())
                stored[reader.GetString(0)] = reader.GetInt64(1);
        }
        var mismatched = 0;
        for (var i = 0; i < keys.Length; i++)
        {
            var count = stored.GetValueOrDefault("bench/" + keys[i], -1);
            if (count == acknowledged[i])
                continue;
            if (mismatched++ < 5)
                Console.WriteLine($"orleans grain {keys[i]}: stored count {count}, acknowledged calls {acknowledged[i]}");
        }
        return mismatched;
    }
}
