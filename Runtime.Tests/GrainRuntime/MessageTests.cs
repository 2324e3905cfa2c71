using Runtime.Tests.Grains;
using Runtime.Tests.Infrastructure;
using Xunit;

namespace Runtime.Tests.GrainRuntime;

public sealed class MessageTests(TestDatabase database) : IClassFixture<TestDatabase>, IAsyncLifetime
{
    private TestSilo _silo = null!;

    public async Task InitializeAsync() => _silo = await database.StartSiloAsync("silo-messages");

    public async Task DisposeAsync() => await _silo.DisposeAsync();

    [Fact]
    public async Task MessageDueNow_IsDeliveredToItsTarget()
    {
        var target = "target-" + Guid.NewGuid();
        await database.Grains.Get<ICounterGrain>("sender-" + Guid.NewGuid()).SendIncrement(target, null);

        var view = await Eventually.Get(() => database.Grains.Get<ICounterGrain>(target).Get(), v => v.Count == 1, TimeSpan.FromSeconds(10), "the message");

        Assert.Equal(1, view.Count);
        Assert.Equal(0, await database.ScalarAsync<long>("SELECT count(*) FROM messages WHERE grain_key = $1", target));
    }

    [Fact]
    public async Task MessageDueLater_IsNotDeliveredBeforeItsTime()
    {
        var target = "later-" + Guid.NewGuid();
        var due = DateTimeOffset.UtcNow.AddSeconds(3);
        await database.Grains.Get<ICounterGrain>("sender-" + Guid.NewGuid()).SendIncrement(target, due);

        await Task.Delay(1000);
        Assert.Equal(0, (await database.Grains.Get<ICounterGrain>(target).Get()).Count);

        await Eventually.Get(() => database.Grains.Get<ICounterGrain>(target).Get(), v => v.Count == 1, TimeSpan.FromSeconds(10), "the delayed message");
        Assert.True(DateTimeOffset.UtcNow >= due);
    }

    [Fact]
    public async Task MessageEmittedByAFailedCall_IsNeverDelivered()
    {
        var target = "never-" + Guid.NewGuid();
        await Assert.ThrowsAsync<InvalidOperationException>(() =>
            database.Grains.Get<ICounterGrain>("failing-" + Guid.NewGuid()).SendIncrementThenFail(target));

        // A message that was sent would arrive within milliseconds; give it far longer.
        var sentinel = "sentinel-" + Guid.NewGuid();
        await database.Grains.Get<ICounterGrain>("sender-" + Guid.NewGuid()).SendIncrement(sentinel, null);
        await Eventually.Get(() => database.Grains.Get<ICounterGrain>(sentinel).Get(), v => v.Count == 1, TimeSpan.FromSeconds(10), "the sentinel message");
        await Task.Delay(500);

        var view = await database.Grains.Get<ICounterGrain>(target).Get();
        Assert.Equal(0, view.Version);
        Assert.Equal(0, await database.ScalarAsync<long>("SELECT count(*) FROM messages WHERE grain_key = $1", target));
    }

    [Fact]
    public async Task ManyMessagesToOneGrain_AreEachAppliedOnce()
    {
        var target = "many-" + Guid.NewGuid();
        var senders = Enumerable.Range(0, 40).Select(i => database.Grains.Get<ICounterGrain>($"sender-{i}-{Guid.NewGuid()}"));
        await Task.WhenAll(senders.Select(s => s.SendIncrement(target, null)));

        var view = await Eventually.Get(() => database.Grains.Get<ICounterGrain>(target).Get(), v => v.Count >= 40, TimeSpan.FromSeconds(20), "40 messages");
        await Task.Delay(300);

        Assert.Equal(40, (await database.Grains.Get<ICounterGrain>(target).Get()).Count);
        Assert.Equal(40, view.Count);
    }
}
