using System.Collections.Concurrent;
using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.Text.Json;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Npgsql;
using NpgsqlTypes;
using Runtime.Benchmarks.Grains;
using Runtime.Grains;
using Runtime.Grains.Hosting;
using Runtime.Grains.Storage;

namespace Runtime.Benchmarks;

/// <summary>
/// <c>grains</c>: grain calls per second against the bare transaction they wrap, and reminder lateness
/// with 10,000 reminders due within a minute on one silo; then the same on Orleans (<see cref="OrleansBenchmark"/>).
/// </summary>
internal static class GrainsBenchmark
{
    private const int Callers = 32;
    private const int Grains = 1000;
    private const int Rounds = 3;
    private const int Reminders = 10_000;
    private static readonly TimeSpan RoundLength = TimeSpan.FromSeconds(10);
    private static readonly TimeSpan ReminderWindow = TimeSpan.FromSeconds(60);

    public static async Task<int> RunAsync()
    {
        Console.WriteLine($"Runtime.Benchmarks grains — {Environment.ProcessorCount} cores, .NET {Environment.Version}");
        await using var database = await BenchDatabase.StartAsync();
        Console.WriteLine($"PostgreSQL {database.Version} (fsync on) on port {database.Server.Port}");

        var (grainRates, bareRates, callsOk) = await MeasureCallsAsync(database.ConnectionString);
        var grainRate = Stats.Median(grainRates);
        var bareRate = Stats.Median(bareRates);
        var ratio = grainRate / bareRate;
        Console.WriteLine();
        Console.WriteLine($"{"grain calls/s",-28}{grainRate,10:0}   rounds: {string.Join(", ", grainRates.Select(r => r.ToString("0")))}");
        Console.WriteLine($"{"bare transactions/s",-28}{bareRate,10:0}   rounds: {string.Join(", ", bareRates.Select(r => r.ToString("0")))}");
        Console.WriteLine($"{"ratio (target >= 0.7)",-28}{ratio,10:0.00}   {(ratio >= 0.7 ? "PASS" : "MISS")}");

        var reminders = await MeasureRemindersAsync(database.ConnectionString);
        Console.WriteLine();
        Console.WriteLine($"{"reminders fired",-28}{reminders.Fired,10}   each exactly once: {reminders.ExactlyOnce}");
        Console.WriteLine($"{"lateness p50 (ms)",-28}{reminders.P50,10:0.0}");
        Console.WriteLine($"{"lateness p99 (ms, <= 250)",-28}{reminders.P99,10:0.0}   {(reminders.P99 <= 250 ? "PASS" : "MISS")}");
        Console.WriteLine($"{"lateness max (ms)",-28}{reminders.Max,10:0.0}");

        var orleans = await OrleansBenchmark.RunAsync(database.ConnectionString, Callers, Grains);

        var result = new
        {
            benchmark = "grains",
            at = DateTimeOffset.UtcNow,
            machine = new { cores = Environment.ProcessorCount, postgres = database.Version, dotnet = Environment.Version.ToString() },
            calls = new { callers = Callers, grains = Grains, roundSeconds = RoundLength.TotalSeconds, grainCallsPerSecond = grainRate, bareTransactionsPerSecond = bareRate, ratio, grainRounds = grainRates, bareRounds = bareRates, target = 0.7 },
            reminders = new { count = Reminders, windowSeconds = ReminderWindow.TotalSeconds, fired = reminders.Fired, exactlyOnce = reminders.ExactlyOnce, p50Ms = reminders.P50, p99Ms = reminders.P99, maxMs = reminders.Max, targetP99Ms = 250 },
            orleans = orleans.Json,
        };
        var output = await Artifacts.WriteAsync("grains", result);
        Console.WriteLine($"\nwrote {output}");

        var correct = callsOk && reminders.Fired == Reminders && reminders.ExactlyOnce && orleans.Correct;
        if (!correct)
            Console.WriteLine("CORRECTNESS CHECK FAILED");
        return correct ? 0 : 1;
    }

    private static async Task<(List<double> Grain, List<double> Bare, bool Ok)> MeasureCallsAsync(string connectionString)
    {
        await using var services = Client(connectionString);
        var factory = services.GetRequiredService<IGrainFactory>();
        var keys = Enumerable.Range(0, Grains).Select(i => $"call-{i}").ToArray();
        await Parallel.ForEachAsync(keys, new ParallelOptions { MaxDegreeOfParallelism = Callers }, async (k, _) => await factory.Get<IBenchGrain>(k).Increment());

        // Same pool settings as the runtime's own data source.
        await using var bare = RuntimeDatabase.Create(connectionString, "bench-bare");
        var grainRates = new List<double>();
        var bareRates = new List<double>();
        await RunForAsync(TimeSpan.FromSeconds(3), key => factory.Get<IBenchGrain>(key).Increment(), keys);
        await RunForAsync(TimeSpan.FromSeconds(3), key => BareAsync(bare, key), keys);
        for (var round = 0; round < Rounds; round++)
        {
            var grainCalls = await RunForAsync(RoundLength, key => factory.Get<IBenchGrain>(key).Increment(), keys);
            grainRates.Add(grainCalls / RoundLength.TotalSeconds);
            var bareCalls = await RunForAsync(RoundLength, key => BareAsync(bare, key), keys);
            bareRates.Add(bareCalls / RoundLength.TotalSeconds);
            Console.WriteLine($"round {round + 1}: grain {grainRates[^1]:0}/s, bare {bareRates[^1]:0}/s");
        }

        // Every grain call and every bare transaction incremented one counter: none may be lost.
        await using var check = bare.CreateCommand("SELECT sum(version), sum((state->>'count')::bigint) FROM bench_grains WHERE key LIKE 'call-%'");
        await using var reader = await check.ExecuteReaderAsync();
        await reader.ReadAsync();
        var versions = reader.GetInt64(0);
        var counts = reader.GetInt64(1);
        var ok = versions == counts;
        if (!ok)
            Console.WriteLine($"lost updates: versions {versions} but counts {counts}");
        return (grainRates, bareRates, ok);
    }

    // The transaction a grain call wraps, issued directly: lock and read, write state and version, commit.
    internal static async Task<long> BareAsync(NpgsqlDataSource dataSource, string key)
    {
        await using var connection = await dataSource.OpenConnectionAsync();
        await using var transaction = await connection.BeginTransactionAsync();
        string json;
        await using (var select = new NpgsqlCommand($"SELECT version, state FROM {BenchGrain.Table} WHERE key = $1 FOR UPDATE", connection, transaction))
        {
            select.Parameters.Add(new NpgsqlParameter { Value = key });
            await using var reader = await select.ExecuteReaderAsync();
            await reader.ReadAsync();
            json = reader.GetString(1);
        }
        var state = JsonSerializer.Deserialize<BenchState>(json, GrainJson.Options)!;
        state.Count++;
        await using (var update = new NpgsqlCommand($"UPDATE {BenchGrain.Table} SET state = $2, version = version + 1, updated_at = now() WHERE key = $1", connection, transaction))
        {
            update.Parameters.Add(new NpgsqlParameter { Value = key });
            update.Parameters.Add(new NpgsqlParameter { NpgsqlDbType = NpgsqlDbType.Jsonb, Value = JsonSerializer.Serialize(state, GrainJson.Options) });
            await update.ExecuteNonQueryAsync();
        }
        await transaction.CommitAsync();
        return state.Count;
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

    private sealed record ReminderResult(int Fired, bool ExactlyOnce, double P50, double P99, double Max);

    private static async Task<ReminderResult> MeasureRemindersAsync(string connectionString)
    {
        var lateness = new ConcurrentQueue<double>();
        using var listener = new MeterListener
        {
            InstrumentPublished = (instrument, l) =>
            {
                if (instrument.Meter.Name == "Runtime.Grains" && instrument.Name == "runtime.reminder.lateness")
                    l.EnableMeasurementEvents(instrument);
            },
        };
        listener.SetMeasurementEventCallback<double>((_, value, _, _) => lateness.Enqueue(value));
        listener.Start();

        // One silo: the real silo host's delivery loops with their default settings.
        var builder = Host.CreateApplicationBuilder();
        builder.Logging.ClearProviders().AddSimpleConsole(o => o.SingleLine = true).SetMinimumLevel(LogLevel.Warning);
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?> { ["ConnectionStrings:runtime"] = connectionString });
        builder.Services.AddGrainRuntime("bench-silo").AddGrain<IBenchGrain, BenchGrain>("bench", BenchGrain.Table);
        builder.Services.AddGrainDelivery("bench-silo");
        using var silo = builder.Build();
        await silo.StartAsync();

        await using var client = Client(connectionString);
        var factory = client.GetRequiredService<IGrainFactory>();
        var first = DateTimeOffset.UtcNow.AddSeconds(15);
        var step = ReminderWindow / Reminders;
        var registering = Stopwatch.StartNew();
        await Parallel.ForEachAsync(Enumerable.Range(0, Reminders), new ParallelOptions { MaxDegreeOfParallelism = Callers },
            async (i, _) => await factory.Get<IBenchGrain>($"reminder-{i}").Remind(first + step * i));
        Console.WriteLine($"\nregistered {Reminders} reminders in {registering.Elapsed.TotalSeconds:0.0} s; due from {first:HH:mm:ss} over {ReminderWindow.TotalSeconds:0} s");

        var deadline = first + ReminderWindow + TimeSpan.FromSeconds(60);
        while (lateness.Count < Reminders && DateTimeOffset.UtcNow < deadline)
            await Task.Delay(500);
        await Task.Delay(2000);
        await silo.StopAsync();

        await using var dataSource = NpgsqlDataSource.Create(connectionString);
        await using var check = dataSource.CreateCommand(
            "SELECT count(*) FILTER (WHERE (state->>'fires')::int = 1), coalesce(sum((state->>'fires')::int), 0) FROM bench_grains WHERE key LIKE 'reminder-%'");
        await using var reader = await check.ExecuteReaderAsync();
        await reader.ReadAsync();
        var once = reader.GetInt64(0);
        var fired = (int)reader.GetInt64(1);

        var sorted = lateness.Order().ToList();
        return new ReminderResult(fired, once == Reminders && fired == Reminders,
            Stats.Percentile(sorted, 50), Stats.Percentile(sorted, 99), sorted.Count == 0 ? double.NaN : sorted[^1]);
    }

    private static ServiceProvider Client(string connectionString)
    {
        var configuration = new ConfigurationBuilder()
            .AddInMemoryCollection(new Dictionary<string, string?> { ["ConnectionStrings:runtime"] = connectionString })
            .Build();
        var services = new ServiceCollection().AddSingleton<IConfiguration>(configuration).AddLogging();
        services.AddGrainRuntime("bench-client").AddGrain<IBenchGrain, BenchGrain>("bench", BenchGrain.Table);
        return services.BuildServiceProvider();
    }
}
