using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using Runtime.Grains.Engine;
using Runtime.Grains;
using Runtime.Tests.Infrastructure;
using Xunit;

namespace Runtime.Tests.Engine;

/// <summary>Runtime's grain base on Orleans: a call is all or nothing, and its messages go after its state is written, once.</summary>
public sealed class RuntimeGrainTests(TestDatabase database) : IClassFixture<TestDatabase>, IAsyncLifetime
{
    private TestSilo _silo = null!;
    private TestClusterClient _cluster = null!;

    public async Task InitializeAsync()
    {
        _silo = await TestSilo.StartGrainHostAsync(database.ConnectionString, "silo-engine");
        _cluster = await TestClusterClient.StartAsync(database.ConnectionString);
    }

    public async Task DisposeAsync()
    {
        await _cluster.DisposeAsync();
        await _silo.DisposeAsync();
    }

    private IProbeGrain Probe(string key) => _cluster.Client.GetGrain<IProbeGrain>(key);

    [Fact]
    public async Task A_call_that_refuses_leaves_the_state_as_it_found_it()
    {
        var probe = Probe("p-refuse-" + Guid.NewGuid());
        await probe.Add(2);

        var refusal = await Assert.ThrowsAsync<ConflictException>(() => probe.Fail(40));
        Assert.Equal("Refused", refusal.Title);
        Assert.Equal(2, await probe.Count());
        Assert.Equal(3, await probe.Add(1));
    }

    [Fact]
    public async Task A_call_that_changes_nothing_writes_no_row()
    {
        var key = "p-untouched-" + Guid.NewGuid();
        await Probe(key).Add(0);

        Assert.Equal(0, await database.ScalarAsync<long>("SELECT count(*) FROM grain_states WHERE key = $1", "probe/" + key));
    }

    [Fact]
    public async Task A_sent_message_is_delivered_after_the_sender_wrote_its_state()
    {
        var target = "p-target-" + Guid.NewGuid();
        await Probe("p-sender-" + Guid.NewGuid()).Tell(target, 5);

        Assert.Equal(5, await Eventually.Get(() => Probe(target).Count(), n => n == 5, TimeSpan.FromSeconds(10), "the message"));
    }

    [Fact]
    public async Task A_message_due_later_is_delivered_at_its_time_not_before()
    {
        var target = "p-later-" + Guid.NewGuid();
        var sent = DateTimeOffset.UtcNow;
        await Probe("p-sender-" + Guid.NewGuid()).TellLater(target, 7, TimeSpan.FromSeconds(1));

        Assert.Equal(0, await Probe(target).Count());
        await Eventually.Get(() => Probe(target).Count(), n => n == 7, TimeSpan.FromSeconds(10), "the delayed message");
        Assert.True(DateTimeOffset.UtcNow - sent >= TimeSpan.FromSeconds(1));
    }

    [Fact]
    public async Task A_message_left_in_the_outbox_by_a_dead_silo_is_delivered_once_a_sweep_wakes_its_sender()
    {
        var sender = "p-crashed-" + Guid.NewGuid();
        var target = "p-receiver-" + Guid.NewGuid();
        var message = new { id = Guid.NewGuid(), target = "probe", key = target, method = "Receive", args = "[3]", dueAt = DateTimeOffset.UtcNow.AddMinutes(-1) };
        // What a silo killed between writing the sender's state and delivering its message leaves behind.
        await LeaveMessageAsync(sender, message);

        // Nobody calls the sender: a sweep (this one, or the silo's own) finds what it holds and wakes it.
        var sweeper = _silo.Services.GetRequiredService<OutboxSweeper>();
        await sweeper.SweepAsync();
        Assert.Equal(3, await Eventually.Get(() => Probe(target).Count(), n => n > 0, TimeSpan.FromSeconds(10), "the left message"));
        await Eventually.Get(() => database.ScalarAsync<string>("SELECT (meta -> 'outbox')::text FROM grain_states WHERE key = $1", "probe/" + sender),
            o => o == "[]", TimeSpan.FromSeconds(10), "the delivered message to be forgotten");
        Assert.Equal(0, await sweeper.SweepAsync());
        Assert.Equal(1, await Probe(sender).Count());
        Assert.Contains(message.id.ToString(), await database.ScalarAsync<string>("SELECT (meta -> 'seen')::text FROM grain_states WHERE key = $1", "probe/" + target));
    }

    [Fact]
    public async Task A_message_delivered_twice_is_applied_once()
    {
        var target = "p-once-" + Guid.NewGuid();
        var id = Guid.NewGuid();
        // Two records holding the same message: a sender that delivered it and died before forgetting it, as seen twice.
        foreach (var sender in new[] { "p-twice-a-" + Guid.NewGuid(), "p-twice-b-" + Guid.NewGuid() })
        {
            await LeaveMessageAsync(sender, new { id, target = "probe", key = target, method = "Receive", args = "[4]", dueAt = DateTimeOffset.UtcNow.AddMinutes(-1) });
            await _silo.Services.GetRequiredService<OutboxSweeper>().SweepAsync();
            await Eventually.Get(() => database.ScalarAsync<string>("SELECT (meta -> 'outbox')::text FROM grain_states WHERE key = $1", "probe/" + sender),
                o => o == "[]", TimeSpan.FromSeconds(10), "the message to be delivered");
        }

        Assert.Equal(4, await Probe(target).Count());
    }

    private async Task LeaveMessageAsync(string sender, object message)
    {
        await using var insert = database.DataSource.CreateCommand("INSERT INTO grain_states (key, version, state, meta) VALUES ($1, 1, '{\"count\": 1}', $2::jsonb)");
        insert.Parameters.Add(new NpgsqlParameter { Value = "probe/" + sender });
        insert.Parameters.Add(new NpgsqlParameter { Value = JsonSerializer.Serialize(new { outbox = new[] { message }, seen = Array.Empty<Guid>() }) });
        await insert.ExecuteNonQueryAsync();
    }
}
