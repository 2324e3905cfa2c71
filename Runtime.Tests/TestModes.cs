using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using Runtime.Grains;
using Runtime.Grains.Storage;
using Runtime.ServiceDefaults;
using Runtime.Tests.Infrastructure;

namespace Runtime.Tests;

/// <summary>
/// The test assembly's child-process modes, which the tests start to get real, separate processes:
/// <c>silo</c> runs a silo with the test grains; <c>tally &lt;key&gt; &lt;calls&gt; &lt;parallel&gt;</c>
/// calls a tally grain through an Orleans client; <c>migrate</c> applies the migrations. All read ConnectionStrings__runtime.
/// <c>master-key &lt;folder&gt; &lt;rounds&gt; &lt;go-file&gt;</c> loads a key file per round once the go file appears.
/// </summary>
public static class TestModes
{
    public static async Task<int> Main(string[] args)
    {
        var connectionString = Environment.GetEnvironmentVariable("ConnectionStrings__runtime") ?? "";
        switch (args.FirstOrDefault())
        {
            case "silo":
            {
                var builder = TestSilo.CreateBuilder(args[1..]);
                builder.AddServiceDefaults();
                var app = builder.Build();
                await app.RunAsync();
                return 0;
            }
            case "tally":
            {
                await using var cluster = await TestClusterClient.StartAsync(connectionString);
                var tally = cluster.Client.GetGrain<Runtime.Tests.Cluster.ITallyGrain>(args[1]);
                return await CallAsync(async () => await tally.Increment(), int.Parse(args[2]), int.Parse(args[3]));
            }
            case "migrate":
            {
                await using var dataSource = NpgsqlDataSource.Create(connectionString);
                var applied = await new Migrator(dataSource, Microsoft.Extensions.Logging.Abstractions.NullLogger<Migrator>.Instance).MigrateAsync();
                Console.WriteLine("applied: " + (applied.Count == 0 ? "none" : string.Join(",", applied)));
                return 0;
            }
            case "master-key":
                MasterKeyRounds(args[1], int.Parse(args[2]), args[3]);
                return 0;
            default:
                Console.Error.WriteLine("Modes: silo | tally <key> <calls> <parallel> | migrate | master-key <folder> <rounds> <go-file>");
                return 2;
        }
    }

    // Says "ready", makes the calls with that many in flight, then says "done <calls>".
    private static async Task<int> CallAsync(Func<Task> call, int calls, int parallel)
    {
        Console.WriteLine("ready");
        await Parallel.ForEachAsync(Enumerable.Range(0, calls), new ParallelOptions { MaxDegreeOfParallelism = parallel }, async (_, _) => await call());
        Console.WriteLine($"done {calls}");
        return 0;
    }

    // Spins on the go file rather than sleeping: a sleep's wake-up would spread the processes' starts wider than a round takes.
    private static void MasterKeyRounds(string folder, int rounds, string go)
    {
        Console.WriteLine("ready");
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (!File.Exists(go))
        {
            if (DateTime.UtcNow > deadline)
                throw new TimeoutException($"{go} did not appear.");
            Thread.Yield();
        }
        for (var round = 0; round < rounds; round++)
        {
            var key = Runtime.Grains.Secrets.MasterKeys.ReadOrCreateKeyFile(Path.Combine(folder, round.ToString(), Runtime.Grains.Secrets.MasterKeys.KeyFileName));
            Console.WriteLine($"round {round} {new Runtime.Grains.Secrets.MasterKeys(key).CurrentId}");
        }
    }
}
