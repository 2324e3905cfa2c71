using Runtime.Grains;
using Runtime.Tests.Grains;
using Runtime.Tests.Infrastructure;
using Xunit;

namespace Runtime.Tests.GrainRuntime;

public sealed class GrainCallTests(TestDatabase database) : IClassFixture<TestDatabase>
{
    [Fact]
    public async Task ConcurrentCallsFromTwoProcesses_LoseNoIncrement()
    {
        var key = "concurrent-" + Guid.NewGuid();
        var before = await database.Grains.Get<ICounterGrain>(key).Get();

        var environment = TestRuntime.ChildEnvironment(database.ConnectionString);
        await using var first = TestProcess.Start("caller-1", ["increment", key, "100", "16"], environment);
        await using var second = TestProcess.Start("caller-2", ["increment", key, "100", "16"], environment);
        Assert.Equal(0, await first.WaitForExitAsync(TimeSpan.FromSeconds(60)));
        Assert.Equal(0, await second.WaitForExitAsync(TimeSpan.FromSeconds(60)));
        Assert.Contains("done 100", first.Output);
        Assert.Contains("done 100", second.Output);

        var after = await database.Grains.Get<ICounterGrain>(key).Get();
        Assert.Equal(200, after.Count);
        Assert.Equal(before.Version + 200, after.Version);
    }

    [Fact]
    public async Task ConcurrentCallsInOneProcess_AreSerialisedByTheRowLock()
    {
        var counter = database.Grains.Get<ICounterGrain>("parallel-" + Guid.NewGuid());
        var results = await Task.WhenAll(Enumerable.Range(0, 50).Select(_ => counter.Increment()));

        Assert.Equal(Enumerable.Range(1, 50).Select(i => (long)i), results.Order());
    }

    [Fact]
    public async Task ACallThatLeavesANeverWrittenGrainAsItWas_AndEmitsNothing_WritesNoRow_SoALateMessageCannotBringADeletedGrainBack()
    {
        var key = "untouched-" + Guid.NewGuid();
        var counter = database.Grains.Get<ICounterGrain>(key);
        await counter.Add(0);
        Assert.Equal(0, await database.ScalarAsync<long>("SELECT count(*) FROM test_counters WHERE key = $1", key));
        Assert.Equal(0, (await counter.Get()).Version);

        await counter.Add(1);
        Assert.Equal(1, await database.ScalarAsync<long>("SELECT count(*) FROM test_counters WHERE key = $1", key));
    }

    [Fact]
    public async Task ReadOnlyCall_DoesNotChangeTheVersion()
    {
        var counter = database.Grains.Get<ICounterGrain>("read-" + Guid.NewGuid());
        await counter.Increment();
        var first = await counter.Get();
        var second = await counter.Get();

        Assert.Equal(1, first.Version);
        Assert.Equal(first.Version, second.Version);
    }

    [Fact]
    public async Task IllegalTransition_RaisesATypedErrorNamingTheCurrentState()
    {
        var counter = database.Grains.Get<ICounterGrain>("illegal-" + Guid.NewGuid());
        await counter.Increment();

        var error = await Assert.ThrowsAsync<IllegalTransitionException>(() => counter.Break());

        Assert.Equal("Counting", error.CurrentState);
        Assert.Equal("break", error.Operation);
        Assert.Equal(1, (await counter.Get()).Version);
    }

    [Fact]
    public async Task FailedCall_LeavesTheStateAsItWas()
    {
        var counter = database.Grains.Get<ICounterGrain>("rollback-" + Guid.NewGuid());
        await counter.Increment();

        await Assert.ThrowsAsync<InvalidOperationException>(() => counter.SendIncrementThenFail("anyone"));

        var view = await counter.Get();
        Assert.Equal(1, view.Count);
        Assert.Equal(1, view.Version);
    }
}
