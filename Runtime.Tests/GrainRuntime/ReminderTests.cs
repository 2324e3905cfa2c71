using Runtime.Grains.Reminders;
using Runtime.Tests.Grains;
using Runtime.Tests.Infrastructure;
using Xunit;

namespace Runtime.Tests.GrainRuntime;

public sealed class ReminderTests(TestDatabase database) : IClassFixture<TestDatabase>
{
    [Fact]
    public async Task ReminderDueInOneSecond_FiresOnce()
    {
        await using var silo = await database.StartSiloAsync("silo-once");
        var key = "once-" + Guid.NewGuid();
        var counter = database.Grains.Get<ICounterGrain>(key);
        var registered = DateTimeOffset.UtcNow;

        await counter.Remind("ping", ReminderSchedule.After(TimeSpan.FromSeconds(1)));
        var view = await Eventually.Get(counter.Get, v => v.Fires.Count > 0, TimeSpan.FromSeconds(10), "the reminder");
        await Task.Delay(1500);

        var fire = Assert.Single((await counter.Get()).Fires);
        Assert.Equal("ping", fire.Name);
        Assert.True(fire.FiredAt >= registered.AddSeconds(1), $"fired at {fire.FiredAt:O}, registered at {registered:O}");
        Assert.Single(view.Fires);
        Assert.Equal(0, await database.ScalarAsync<long>("SELECT count(*) FROM reminders WHERE grain_key = $1", key));
    }

    [Fact]
    public async Task PeriodicReminder_FiresUntilUnregistered()
    {
        await using var silo = await database.StartSiloAsync("silo-periodic");
        var counter = database.Grains.Get<ICounterGrain>("periodic-" + Guid.NewGuid());

        await counter.Remind("tick", ReminderSchedule.Every(TimeSpan.FromMilliseconds(300)));
        await Eventually.Get(counter.Get, v => v.Fires.Count >= 3, TimeSpan.FromSeconds(10), "three ticks");
        await counter.Forget("tick");
        var stopped = (await counter.Get()).Fires.Count;
        await Task.Delay(1000);

        var fires = (await counter.Get()).Fires;
        Assert.Equal(stopped, fires.Count);
        Assert.Equal(fires.Count, fires.Select(f => f.DueAt).Distinct().Count());
    }

    [Fact]
    public async Task TwoSilos_FireEveryDueReminderExactlyOnce()
    {
        await using var first = database.StartSiloProcess("silo-a");
        await using var second = database.StartSiloProcess("silo-b");
        await first.WaitForOutputAsync("joined", TimeSpan.FromSeconds(30));
        await second.WaitForOutputAsync("joined", TimeSpan.FromSeconds(30));

        var prefix = "pair-" + Guid.NewGuid().ToString("N")[..8];
        var due = DateTimeOffset.UtcNow.AddSeconds(2);
        var counters = Enumerable.Range(0, 100).Select(i => database.Grains.Get<ICounterGrain>($"{prefix}-{i}")).ToList();
        await Parallel.ForEachAsync(counters, async (c, _) => await c.Remind("due", ReminderSchedule.Once(due)));

        await Eventually.Get(() => CountFiresAsync(prefix), n => n >= 100, TimeSpan.FromSeconds(30), "100 fires");
        await Task.Delay(1000);

        Assert.Equal(100, await CountFiresAsync(prefix));
        foreach (var counter in counters)
            Assert.Single((await counter.Get()).Fires);
        Assert.Equal(0, await database.ScalarAsync<long>("SELECT count(*) FROM reminders WHERE grain_key LIKE $1", prefix + "%"));
    }

    [Fact]
    public async Task KilledSilo_ItsClaimedRemindersAreDeliveredByAnotherSilo()
    {
        await using var victim = database.StartSiloProcess("silo-victim");
        await victim.WaitForOutputAsync("joined", TimeSpan.FromSeconds(30));

        var prefix = "kill-" + Guid.NewGuid().ToString("N")[..8];
        var counters = Enumerable.Range(0, 20).Select(i => database.Grains.Get<ICounterGrain>($"{prefix}-{i}")).ToList();
        var due = DateTimeOffset.UtcNow.AddSeconds(2);
        foreach (var counter in counters)
            await counter.Remind("due", ReminderSchedule.Once(due));

        // Hold the grains' row locks: the victim claims the due reminders but cannot fire them.
        await using var blocker = await database.DataSource.OpenConnectionAsync();
        await using var transaction = await blocker.BeginTransactionAsync();
        await using (var lockRows = new Npgsql.NpgsqlCommand("SELECT key FROM test_counters WHERE key LIKE $1 FOR UPDATE", blocker, transaction))
        {
            lockRows.Parameters.Add(new Npgsql.NpgsqlParameter { Value = prefix + "%" });
            await lockRows.ExecuteNonQueryAsync();
        }
        await Eventually.Get(() => database.ScalarAsync<long>("SELECT count(*) FROM reminders WHERE grain_key LIKE $1 AND claimed_by IS NOT NULL", prefix + "%"),
            n => n == 20, TimeSpan.FromSeconds(20), "the victim to claim all 20 reminders");

        victim.Kill();
        await victim.WaitForExitAsync(TimeSpan.FromSeconds(10));
        await transaction.RollbackAsync();

        await using var survivor = database.StartSiloProcess("silo-survivor");
        await survivor.WaitForOutputAsync("joined", TimeSpan.FromSeconds(30));

        await Eventually.Get(() => CountFiresAsync(prefix), n => n >= 20, TimeSpan.FromSeconds(30), "all 20 reminders to fire after the kill");
        await Task.Delay(1000);
        foreach (var counter in counters)
            Assert.Single((await counter.Get()).Fires);
        Assert.Equal(0, await database.ScalarAsync<long>("SELECT count(*) FROM reminders WHERE grain_key LIKE $1", prefix + "%"));
    }

    private async Task<long> CountFiresAsync(string prefix) =>
        await database.ScalarAsync<long>(
            "SELECT coalesce(sum(jsonb_array_length(state -> 'fires')), 0) FROM test_counters WHERE key LIKE $1", prefix + "%");
}
