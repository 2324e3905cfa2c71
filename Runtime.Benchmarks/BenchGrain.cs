using Runtime.Grains;
using Runtime.Grains.Reminders;

namespace Runtime.Benchmarks;

/// <summary>The benchmark's grain: a counter that also counts its reminder ticks.</summary>
public interface IBenchGrain : IGrainWithStringKey
{
    Task<long> Increment();

    Task Remind(DateTimeOffset dueAt);
}

public sealed class BenchState
{
    public long Count { get; set; }

    public int Fires { get; set; }
}

public sealed class BenchGrain : Grain<BenchState>, IBenchGrain, IRemindable
{
    public const string Table = "bench_grains";

    public const string TableSql = """
        CREATE TABLE IF NOT EXISTS bench_grains (
            key        text PRIMARY KEY,
            version    bigint      NOT NULL,
            state      jsonb       NOT NULL,
            created_at timestamptz NOT NULL DEFAULT now(),
            updated_at timestamptz NOT NULL DEFAULT now());
        """;

    public Task<long> Increment() => Task.FromResult(++State.Count);

    public Task Remind(DateTimeOffset dueAt)
    {
        Context.RegisterReminder("due", ReminderSchedule.Once(dueAt));
        return Task.CompletedTask;
    }

    public Task ReceiveReminder(string name, ReminderTick tick)
    {
        State.Fires++;
        return Task.CompletedTask;
    }
}
