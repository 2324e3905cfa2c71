using Runtime.Grains.Storage;
using Runtime.Tests.Infrastructure;
using Xunit;

namespace Runtime.Tests.Storage;

public sealed class MigrationTests
{
    [Fact]
    public async Task ThreeProcessesMigratingAtOnce_AllSucceedAndOneApplies()
    {
        var cluster = await PostgresCluster.SharedAsync();
        var connectionString = await cluster.CreateEmptyDatabaseAsync();
        var environment = TestRuntime.ChildEnvironment(connectionString);

        var processes = Enumerable.Range(1, 3).Select(i => TestProcess.Start($"migrate-{i}", ["migrate"], environment)).ToList();
        try
        {
            foreach (var process in processes)
                Assert.Equal(0, await process.WaitForExitAsync(TimeSpan.FromSeconds(60)));

            var all = string.Join(",", Migrator.All.Select(m => m.Version));
            Assert.Single(processes, p => p.Output.Contains("applied: " + all, StringComparison.Ordinal));
            Assert.Equal(2, processes.Count(p => p.Output.Contains("applied: none", StringComparison.Ordinal)));

            await using var dataSource = Npgsql.NpgsqlDataSource.Create(connectionString);
            await using var count = dataSource.CreateCommand("SELECT count(*) FROM schema_migrations");
            Assert.Equal((long)Migrator.All.Count, await count.ExecuteScalarAsync());
        }
        finally
        {
            foreach (var process in processes)
                await process.DisposeAsync();
        }
    }

    [Fact]
    public void Migrations_AreNumberedWithoutGaps()
    {
        Assert.Equal(Enumerable.Range(1, Migrator.All.Count), Migrator.All.Select(m => m.Version));
    }
}
