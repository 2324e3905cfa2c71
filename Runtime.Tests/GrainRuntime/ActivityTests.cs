using Runtime.Tests.Grains;
using Runtime.Tests.Infrastructure;
using Xunit;

namespace Runtime.Tests.GrainRuntime;

public sealed class ActivityTests(TestDatabase database) : IClassFixture<TestDatabase>, IAsyncLifetime
{
    private TestSilo _silo = null!;

    public async Task InitializeAsync() => _silo = await database.StartSiloAsync("silo-activities");

    public async Task DisposeAsync() => await _silo.DisposeAsync();

    [Fact]
    public async Task Activity_RunsOutsideTheLockAndReportsBackByAGrainCall()
    {
        var counter = database.Grains.Get<ICounterGrain>("work-" + Guid.NewGuid());
        await counter.StartWork(millis: 1500, failFirstAttempts: 0);

        // While the work sleeps, the grain is not locked: calls go through at once.
        var during = await counter.Increment();
        Assert.Empty((await counter.Get()).WorkAttempts);

        var view = await Eventually.Get(counter.Get, v => v.WorkAttempts.Count > 0, TimeSpan.FromSeconds(15), "the activity's report");
        Assert.Equal(1, during);
        Assert.Equal([1], view.WorkAttempts);
    }

    [Fact]
    public async Task FailingActivity_IsRetriedUntilItSucceeds()
    {
        var counter = database.Grains.Get<ICounterGrain>("flaky-" + Guid.NewGuid());
        await counter.StartWork(millis: 10, failFirstAttempts: 2);

        var view = await Eventually.Get(counter.Get, v => v.WorkAttempts.Count > 0, TimeSpan.FromSeconds(20), "the third attempt");

        Assert.Equal([3], view.WorkAttempts);
    }

    [Fact]
    public async Task ActivityOfAFailedCall_NeverRuns()
    {
        var counter = database.Grains.Get<ICounterGrain>("no-work-" + Guid.NewGuid());
        await counter.Increment();
        var before = await database.ScalarAsync<long>("SELECT count(*) FROM activities");

        await Assert.ThrowsAsync<InvalidOperationException>(() => counter.SendIncrementThenFail("x"));

        Assert.Equal(before, await database.ScalarAsync<long>("SELECT count(*) FROM activities"));
    }
}
