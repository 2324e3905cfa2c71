using System.Diagnostics;
using Npgsql;
using Orleans;

namespace Runtime.Benchmarks.Grains;

/// <summary>Orleans reminder lateness: one-shot reminders due over a minute on one silo, each to fire exactly once.</summary>
internal static class OrleansReminders
{
    // Registration must be done before the first is due, or the first ones are late by construction.
    private static readonly TimeSpan Lead = TimeSpan.FromSeconds(30);

    /// <summary>What <see cref="MeasureAsync"/> found; lateness as each grain measured it against its due time.</summary>
    public sealed record Result(int Count, int FiredOnce, long Fires, long RemindersLeft, double RegisterSeconds, List<double> LatenessMs)
    {
        public bool ExactlyOnce => FiredOnce == Count && Fires == Count && RemindersLeft == 0;
    }

    /// <summary>Registers <paramref name="count"/> reminders due from now + 30 s over <paramref name="window"/> and waits for them.</summary>
    public static async Task<Result> MeasureAsync(BenchCluster cluster, NpgsqlDataSource database, int count, TimeSpan window, int callers)
    {
        if (cluster.Silos.Count != 1)
            throw new InvalidOperationException("The reminders measure runs on exactly one silo.");
        await cluster.ConnectAsync();
        var client = cluster.Client;
        var first = DateTimeOffset.UtcNow + Lead;
        var step = window / count;
        var registering = Stopwatch.StartNew();
        await Parallel.ForEachAsync(Enumerable.Range(0, count), new ParallelOptions { MaxDegreeOfParallelism = callers },
            async (i, _) => await client.GetGrain<IOrleansBenchGrain>($"reminder-{i}").Remind(first + step * i));
        var registerSeconds = registering.Elapsed.TotalSeconds;
        Console.WriteLine($"\nregistered {count} Orleans reminders in {registerSeconds:0.0} s; due from {first:HH:mm:ss} over {window.TotalSeconds:0} s");

        // Wait for every first fire, then two periods more: a reminder left registered would fire again in that time.
        var last = first + window;
        var deadline = last + TimeSpan.FromSeconds(60);
        while (DateTimeOffset.UtcNow < deadline && await ScalarAsync(database, "SELECT count(*) FROM grain_states WHERE key LIKE 'bench/reminder-%' AND (state->>'fires')::int >= 1") < count)
            await Task.Delay(1000);
        var settle = last + 2 * OrleansBenchGrain.ReminderPeriod + TimeSpan.FromSeconds(1) - DateTimeOffset.UtcNow;
        if (settle > TimeSpan.Zero)
            await Task.Delay(settle);

        var once = await ScalarAsync(database, "SELECT count(*) FROM grain_states WHERE key LIKE 'bench/reminder-%' AND (state->>'fires')::int = 1");
        var fires = await ScalarAsync(database, "SELECT coalesce(sum((state->>'fires')::int), 0) FROM grain_states WHERE key LIKE 'bench/reminder-%'");
        var left = await ScalarAsync(database, "SELECT count(*) FROM orleans_reminders");
        var lateness = new List<double>();
        await using (var command = database.CreateCommand("SELECT (state->>'latenessMs')::float8 FROM grain_states WHERE key LIKE 'bench/reminder-%' AND (state->>'fires')::int >= 1"))
        await using (var reader = await command.ExecuteReaderAsync())
        {
            while (await reader.ReadAsync())
                lateness.Add(reader.GetDouble(0));
        }
        lateness.Sort();
        return new Result(count, (int)once, fires, left, registerSeconds, lateness);
    }

    private static async Task<long> ScalarAsync(NpgsqlDataSource database, string sql)
    {
        await using var command = database.CreateCommand(sql);
        return Convert.ToInt64(await command.ExecuteScalarAsync(), System.Globalization.CultureInfo.InvariantCulture);
    }
}
