using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Npgsql;
using Runtime.Grains.Logs;
using Runtime.Tests.Infrastructure;
using Xunit;

namespace Runtime.Tests.Api;

/// <summary>
/// Log followers (<see cref="Runtime.Api.Endpoints.LogStream"/>) woken by LISTEN/NOTIFY through the real
/// store on a real PostgreSQL. The fallback poll and the keep-alive are an hour, so a line that arrives proves the notification.
/// </summary>
public sealed class LogFollowTests(TestDatabase database) : IClassFixture<TestDatabase>, IAsyncLifetime
{
    private static readonly TimeSpan Hour = TimeSpan.FromHours(1);

    private readonly List<LogWakeups> _wakeups = [];
    private readonly ILoggerFactory _loggers = LoggerFactory.Create(b => b.AddProvider(new RecordingLoggerProvider()));

    private WorkloadLogStore Store => new(database.DataSource);

    [Fact]
    public async Task Every_follower_of_a_workload_is_woken_by_a_stored_line_without_waiting_for_the_poll()
    {
        var wakeups = await StartWakeupsAsync(database.DataSource, pollWithoutListen: Hour);
        await using var first = new StreamedFollow(Store, wakeups, "project/notified");
        await using var second = new StreamedFollow(Store, wakeups, "project/notified");

        // The first line may come with a follower's first read; after it, only a notification makes them read again.
        await AppendAsync("project/notified", "one");
        Assert.Equal("one", await first.NextAsync());
        Assert.Equal("one", await second.NextAsync());
        await AppendAsync("project/notified", "two");
        Assert.Equal("two", await first.NextAsync());
        Assert.Equal("two", await second.NextAsync());
    }

    [Fact]
    public async Task A_run_that_ends_wakes_its_followers_to_end_the_stream()
    {
        var run = Guid.CreateVersion7();
        await database.ExecuteAsync($"""
            INSERT INTO runs (id, job_id, workspace_id, number, trigger, status, created_at)
            VALUES ('{run}', 'job-{run}', 'workspace', 1, 'manual', 'Running', now())
            """);
        var wakeups = await StartWakeupsAsync(database.DataSource, pollWithoutListen: Hour);
        await using var follow = new StreamedFollow(Store, wakeups, $"run/{run:D}",
            async ct => await database.ScalarAsync<bool>("SELECT ended_at IS NOT NULL FROM runs WHERE id = $1", run));

        await AppendAsync($"run/{run:D}", "last line");
        Assert.Equal("last line", await follow.NextAsync());
        await database.ExecuteAsync($"UPDATE runs SET status = 'Completed', ended_at = now() WHERE id = '{run}'");
        Assert.Equal("end", await follow.NextAsync());
    }

    [Fact]
    public async Task A_lost_listening_connection_falls_back_to_polling_and_recovers()
    {
        // The listener connects as a role of its own, which the test can shut out while the store writes on.
        var role = $"log_listener_{Guid.NewGuid():N}";
        var cluster = await PostgresCluster.SharedAsync();
        await using var admin = NpgsqlDataSource.Create(cluster.Server.ConnectionString());
        await ExecuteAsync(admin, $"CREATE ROLE {role} LOGIN");
        await using var listener = NpgsqlDataSource.Create(new NpgsqlConnectionStringBuilder(database.ConnectionString) { Username = role }.ConnectionString);
        using var recording = Recording.Start();
        var wakeups = await StartWakeupsAsync(listener, pollWithoutListen: TimeSpan.FromMilliseconds(50));
        await using var follow = new StreamedFollow(Store, wakeups, "project/lost");
        await AppendAsync("project/lost", "before");
        Assert.Equal("before", await follow.NextAsync());

        await ExecuteAsync(admin, $"ALTER ROLE {role} NOLOGIN");
        await ExecuteAsync(admin, $"SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = '{role}'");
        await Eventually.Get(() => Task.FromResult(wakeups.IsLive), live => !live, TimeSpan.FromSeconds(30), "the LISTEN connection to be lost");
        // Nothing can notify now: these arrive because the follower polls.
        await AppendAsync("project/lost", "while down 1");
        Assert.Equal("while down 1", await follow.NextAsync());
        await AppendAsync("project/lost", "while down 2");
        Assert.Equal("while down 2", await follow.NextAsync());

        await ExecuteAsync(admin, $"ALTER ROLE {role} LOGIN");
        await wakeups.Live.WaitAsync(TimeSpan.FromSeconds(30));
        await AppendAsync("project/lost", "after 1");
        Assert.Equal("after 1", await follow.NextAsync());
        // Its wait began while listening, with the hour-long poll: only the notification wakes it.
        await AppendAsync("project/lost", "after 2");
        Assert.Equal("after 2", await follow.NextAsync());

        Assert.Contains(recording.Entries, e => e.StartsWith("log Warning Runtime.Grains.Logs.LogWakeups Lost the log LISTEN connection", StringComparison.Ordinal));
        Assert.Contains(recording.Entries, e => e.StartsWith("log Information Runtime.Grains.Logs.LogWakeups Listening for stored log lines again", StringComparison.Ordinal));
        await wakeups.StopAsync(CancellationToken.None);
        await listener.DisposeAsync();
        await ExecuteAsync(admin, $"DROP ROLE {role}");
    }

    private async Task<LogWakeups> StartWakeupsAsync(NpgsqlDataSource dataSource, TimeSpan pollWithoutListen)
    {
        var wakeups = new LogWakeups(dataSource, Options.Create(new LogFollowOptions { Poll = Hour, PollWithoutListen = pollWithoutListen, KeepAlive = Hour }),
            TimeProvider.System, _loggers.CreateLogger<LogWakeups>());
        _wakeups.Add(wakeups);
        await wakeups.StartAsync(CancellationToken.None);
        await wakeups.Live.WaitAsync(TimeSpan.FromSeconds(30));
        return wakeups;
    }

    private Task AppendAsync(string workload, string line) => Store.AppendAsync([(workload, "stdout", DateTimeOffset.UtcNow, line)]);

    private static async Task ExecuteAsync(NpgsqlDataSource dataSource, string sql)
    {
        await using var command = dataSource.CreateCommand(sql);
        await command.ExecuteNonQueryAsync();
    }

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        foreach (var wakeups in _wakeups)
        {
            await wakeups.StopAsync(CancellationToken.None);
            wakeups.Dispose();
        }
        _loggers.Dispose();
    }
}
