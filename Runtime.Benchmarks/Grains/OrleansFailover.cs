using System.Diagnostics;
using Orleans;

namespace Runtime.Benchmarks.Grains;

/// <summary>Failover: SIGKILL to the silo hosting a grain, then the time until a call on that grain succeeds.</summary>
internal static class OrleansFailover
{
    private static readonly TimeSpan GiveUp = TimeSpan.FromSeconds(30);
    // A call to the dead silo may hang until Orleans' response timeout; a fresh attempt every 100 ms
    // keeps the figure from being rounded up to whatever timeout a single retry would use.
    private static readonly TimeSpan RetryEvery = TimeSpan.FromMilliseconds(100);

    /// <summary>What <see cref="MeasureAsync"/> found: time to the first successful call per kill, and whether each was served by the survivor.</summary>
    public sealed record Result(List<double> Seconds, int Kills, int ServedElsewhere)
    {
        public bool Correct => Seconds.Count == Kills && ServedElsewhere == Kills;
    }

    /// <summary>Two silos; per kill a new grain, its host killed, a replacement silo started before the next.</summary>
    public static async Task<Result> MeasureAsync(BenchCluster cluster, int kills)
    {
        while (cluster.Silos.Count < 2)
            await cluster.StartSiloAsync();
        await cluster.WaitForActiveSilosAsync(2);
        await cluster.ConnectAsync();

        var seconds = new List<double>();
        var servedElsewhere = 0;
        for (var kill = 1; kill <= kills; kill++)
        {
            var grain = cluster.Client.GetGrain<IOrleansBenchGrain>($"failover-{kill}-{Guid.NewGuid():N}");
            await grain.Increment();
            var host = await grain.Silo();
            var victim = cluster.Silos.Single(s => host.Contains($":{s.Port}:", StringComparison.Ordinal)).Port;

            await cluster.KillAsync(victim);
            var killed = Stopwatch.StartNew();
            if (await FirstSuccessAsync(grain) is { } answered)
            {
                seconds.Add(answered.TotalSeconds);
                if (!(await grain.Silo()).Contains($":{victim}:", StringComparison.Ordinal))
                    servedElsewhere++;
            }
            Console.WriteLine($"failover {kill}: {(seconds.Count == kill ? $"{seconds[^1]:0.00} s" : "no answer")} after the kill of the silo on port {victim}");

            // Back to two silos, and the dead one declared dead, before the next kill.
            await cluster.StartSiloAsync();
            await cluster.WaitForActiveSilosAsync(2);
        }
        return new Result(seconds, kills, servedElsewhere);
    }

    private static async Task<TimeSpan?> FirstSuccessAsync(IOrleansBenchGrain grain)
    {
        var started = Stopwatch.StartNew();
        var pending = new List<Task>();
        while (started.Elapsed < GiveUp)
        {
            pending.Add(grain.Increment());
            var retry = Task.Delay(RetryEvery);
            while (true)
            {
                var done = await Task.WhenAny([.. pending, retry]);
                if (done == retry)
                    break;
                pending.Remove(done);
                if (done.IsCompletedSuccessfully)
                {
                    Observe(pending);
                    return started.Elapsed;
                }
            }
        }
        Observe(pending);
        return null;
    }

    // The attempts still pending fail later against the dead silo; nobody waits for them.
    private static void Observe(IEnumerable<Task> pending)
    {
        foreach (var task in pending)
            _ = task.ContinueWith(t => t.Exception, TaskScheduler.Default);
    }
}
