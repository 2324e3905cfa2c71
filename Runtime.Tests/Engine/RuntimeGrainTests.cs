using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using Runtime.Grains.Engine;
using Runtime.Grains.Reminders;
using Runtime.Grains;
using Runtime.Tests.Infrastructure;
using Xunit;

namespace Runtime.Tests.Engine;

/// <summary>Runtime's grain base on Orleans: a call is all or nothing, and what it emits takes effect after its state is written, once.</summary>
public sealed class RuntimeGrainTests(EngineCluster engine) : IClassFixture<EngineCluster>
{
    private readonly TestDatabase database = engine.Database;

    private IProbeGrain Probe(string key) => engine.Cluster.Client.GetGrain<IProbeGrain>(key);

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
    public async Task A_row_the_grain_owns_is_written_with_its_state_and_never_by_a_call_that_fails()
    {
        await OwnProbeRowsAsync();
        var key = "p-rows-" + Guid.NewGuid();
        var id = Guid.NewGuid();

        await Assert.ThrowsAsync<ConflictException>(() => Probe(key).Note("probe_rows", id, "refused", update: false, refuse: true));
        Assert.Equal(0, await database.ScalarAsync<long>("SELECT count(*) FROM probe_rows WHERE id = $1", id));

        await Probe(key).Note("probe_rows", id, "first", update: false, refuse: false);
        await Probe(key).Note("probe_rows", id, "second", update: true, refuse: false);
        await Assert.ThrowsAsync<ConflictException>(() => Probe(key).Note("probe_rows", id, "refused", update: true, refuse: true));

        Assert.Equal("second", await database.ScalarAsync<string>("SELECT note FROM probe_rows WHERE id = $1 AND probe = $2 AND noted_at IS NOT NULL", id, key));
        Assert.Equal(2, await Probe(key).Count());
        // The rows are written, not kept in the record.
        Assert.False(await database.ScalarAsync<bool>("SELECT meta ? 'rows' FROM grain_states WHERE key = $1", "probe/" + key));
    }

    [Fact]
    public async Task A_call_that_writes_rows_of_a_table_its_grain_does_not_own_fails_and_writes_nothing()
    {
        await OwnProbeRowsAsync();
        var key = "p-foreign-" + Guid.NewGuid();
        await Probe(key).Add(1);

        // The storage refuses the whole write ("grain state probe may not write rows of runs").
        await Assert.ThrowsAnyAsync<Exception>(() => Probe(key).Note("runs", Guid.NewGuid(), "not mine", update: false, refuse: false));

        Assert.Equal(1, await Probe(key).Count());
        Assert.Equal(1, await Probe(key).Add(0));
    }

    // The probe's own table: a test's, given to the probe's state as a migration gives a grain's.
    private Task OwnProbeRowsAsync() => database.ExecuteAsync("""
        CREATE TABLE IF NOT EXISTS probe_rows (id uuid PRIMARY KEY, probe text NOT NULL, note text NOT NULL, noted_at timestamptz NOT NULL);
        INSERT INTO grain_row_tables (state_name, table_name) VALUES ('probe', 'probe_rows') ON CONFLICT DO NOTHING;
        """);

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
        var sweeper = engine.Silo.Services.GetRequiredService<OutboxSweeper>();
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
            await engine.Silo.Services.GetRequiredService<OutboxSweeper>().SweepAsync();
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

    [Fact]
    public async Task A_one_shot_reminder_fires_once_and_is_gone()
    {
        var key = "p-once-reminder-" + Guid.NewGuid();
        await Probe(key).Remind("ping", TimeSpan.FromMilliseconds(300), repeat: false);

        var view = await Eventually.Get(() => Probe(key).View(), v => v.Ticks.Count == 1, TimeSpan.FromSeconds(10), "the reminder");
        Assert.Null(view.Ticks[0].NextDueAt);
        Assert.Equal("{}", await database.ScalarAsync<string>("SELECT (meta -> 'reminders')::text FROM grain_states WHERE key = $1", "probe/" + key));
        // Nothing is left to fire it again, and its Orleans backstop is gone with it.
        Assert.Equal(0, await database.ScalarAsync<long>("SELECT count(*) FROM orleans_reminders WHERE grain_id LIKE $1", "%" + key + "%"));
    }

    [Fact]
    public async Task A_periodic_reminder_fires_each_period_until_forgotten_with_an_orleans_reminder_behind_it()
    {
        var key = "p-every-" + Guid.NewGuid();
        await Probe(key).Remind("tick", TimeSpan.FromMilliseconds(200), repeat: true);
        Assert.Equal(1, await database.ScalarAsync<long>("SELECT count(*) FROM orleans_reminders WHERE grain_id LIKE $1", "%" + key + "%"));

        var view = await Eventually.Get(() => Probe(key).View(), v => v.Ticks.Count >= 3, TimeSpan.FromSeconds(10), "three ticks");
        // Each tick is one period after the one before: none skipped, none twice (a late one fires the ones it missed too).
        Assert.All(view.Ticks.Zip(view.Ticks.Skip(1)), p => Assert.True(p.First.NextDueAt == p.Second.DueAt && p.Second.DueAt - p.First.DueAt == TimeSpan.FromMilliseconds(200), p.ToString()));
        await Probe(key).Forget("tick");
        var after = (await Probe(key).View()).Ticks.Count;

        await Probe(key).Remind("marker", TimeSpan.FromMilliseconds(600), repeat: false);
        var final = await Eventually.Get(() => Probe(key).View(), v => v.Ticks.Any(t => t.Name == "marker"), TimeSpan.FromSeconds(10), "the marker");
        Assert.Equal(after, final.Ticks.Count(t => t.Name == "tick"));
        Assert.Equal(0, await database.ScalarAsync<long>("SELECT count(*) FROM orleans_reminders WHERE grain_id LIKE $1", "%" + key + "%"));
    }

    [Fact]
    public async Task Ticks_missed_longer_ago_than_the_replay_window_fire_as_one_due_at_the_first_of_them()
    {
        // Due 165, 105 and 45 s ago: all before the 30 s window; the next is 15 s away.
        var key = "p-missed-" + Guid.NewGuid();
        var due = DateTimeOffset.UtcNow.AddSeconds(-165);
        await LeaveDueReminderAsync(key, ReminderSchedule.Every(TimeSpan.FromMinutes(1)), due);

        await engine.Silo.Services.GetRequiredService<OutboxSweeper>().SweepAsync();

        var tick = Assert.Single((await Eventually.Get(() => Probe(key).View(), v => v.Ticks.Count > 0, TimeSpan.FromSeconds(10), "the catch-up tick")).Ticks);
        Assert.Equal(due, tick.DueAt);
        Assert.True(tick.NextDueAt > DateTimeOffset.UtcNow);
    }

    [Fact]
    public async Task Ticks_missed_within_the_replay_window_each_fire_in_order_after_one_for_the_older_ones()
    {
        // A silo died holding the grain 40 s ago; its reminder ticks every second and the window is 30 s.
        var key = "p-replayed-" + Guid.NewGuid();
        var due = DateTimeOffset.UtcNow.AddSeconds(-40);
        await LeaveDueReminderAsync(key, ReminderSchedule.Every(TimeSpan.FromSeconds(1)), due);

        await engine.Silo.Services.GetRequiredService<OutboxSweeper>().SweepAsync();

        var ticks = (await Eventually.Get(() => Probe(key).View(), v => v.Ticks.Count >= 30, TimeSpan.FromSeconds(10), "the replayed ticks")).Ticks;
        Assert.Equal(due, ticks[0].DueAt);
        var replayed = ticks.Skip(1).ToList();
        var window = replayed[0].FiredAt - TimeSpan.FromSeconds(30);
        Assert.InRange(replayed[0].DueAt, window, window + TimeSpan.FromSeconds(1));
        // From there every second fires once, in order, up to the present, and on with the period.
        Assert.All(replayed.Zip(replayed.Skip(1)), p => Assert.Equal(TimeSpan.FromSeconds(1), p.Second.DueAt - p.First.DueAt));
        Assert.All(ticks.Zip(ticks.Skip(1)), p => Assert.Equal(p.First.NextDueAt, p.Second.DueAt));
    }

    // A probe's record as a silo that died would leave it: a reminder due at `due`, not fired.
    private async Task LeaveDueReminderAsync(string key, ReminderSchedule schedule, DateTimeOffset due)
    {
        await using var insert = database.DataSource.CreateCommand("INSERT INTO grain_states (key, version, state, meta) VALUES ($1, 1, '{\"count\": 0}', $2::jsonb)");
        insert.Parameters.Add(new NpgsqlParameter { Value = "probe/" + key });
        insert.Parameters.Add(new NpgsqlParameter { Value = JsonSerializer.Serialize(new { reminders = new Dictionary<string, object> { ["tick"] = new { schedule = schedule.ToJson(), dueAt = due } } }) });
        await insert.ExecuteNonQueryAsync();
    }

    [Fact]
    public async Task An_activity_runs_after_the_call_and_reports_back()
    {
        var key = "p-work-" + Guid.NewGuid();
        await Probe(key).Work("fetched");

        Assert.Equal(["fetched"], (await Eventually.Get(() => Probe(key).View(), v => v.Worked.Count > 0, TimeSpan.FromSeconds(10), "the activity's report")).Worked);
    }

    [Fact]
    public async Task An_assignment_becomes_claimable_once_the_state_is_written_and_never_when_the_call_fails()
    {
        var environment = "env-" + Guid.NewGuid();
        var id = await Probe("p-queue-" + Guid.NewGuid()).Queue(environment, "w", refuse: false);
        await Eventually.Get(() => database.ScalarAsync<string>("SELECT status FROM assignments WHERE id = $1", id),
            s => s == "pending", TimeSpan.FromSeconds(10), "the assignment to be released");

        await Assert.ThrowsAsync<ConflictException>(() => Probe("p-refused-" + Guid.NewGuid()).Queue(environment, "w", refuse: true));
        Assert.Equal(0, await database.ScalarAsync<long>("SELECT count(*) FROM assignments WHERE environment_id = $1 AND status <> 'pending'", environment));
        Assert.Equal(1, await database.ScalarAsync<long>("SELECT count(*) FROM assignments WHERE environment_id = $1", environment));
    }
}
