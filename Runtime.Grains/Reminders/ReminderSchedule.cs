using System.Text.Json;
using System.Text.Json.Serialization;

namespace Runtime.Grains.Reminders;

/// <summary>When a reminder fires: once, every period, or on a cron schedule in a time zone.</summary>
public sealed record ReminderSchedule
{
    private ReminderSchedule(ReminderKind kind) => Kind = kind;

    public ReminderKind Kind { get; }

    /// <summary>For <see cref="ReminderKind.Once"/>: the instant, or null when relative (<see cref="Delay"/>).</summary>
    public DateTimeOffset? At { get; private init; }

    /// <summary>Once: the delay from registration. Every: the delay before the first tick (default one period).</summary>
    public TimeSpan? Delay { get; private init; }

    public TimeSpan? Period { get; private init; }

    public CronSchedule? Cron { get; private init; }

    public static ReminderSchedule Once(DateTimeOffset at) => new(ReminderKind.Once) { At = at };

    public static ReminderSchedule After(TimeSpan delay) => new(ReminderKind.Once) { Delay = NonNegative(delay, nameof(delay)) };

    public static ReminderSchedule Every(TimeSpan period, TimeSpan? firstAfter = null)
    {
        if (period < TimeSpan.FromMilliseconds(1))
            throw new ArgumentOutOfRangeException(nameof(period), "A reminder period is at least 1 ms.");
        return new(ReminderKind.Every) { Period = period, Delay = firstAfter is { } f ? NonNegative(f, nameof(firstAfter)) : null };
    }

    public static ReminderSchedule OnCron(CronSchedule cron) => new(ReminderKind.Cron) { Cron = cron };

    /// <summary>The first due time for a registration made at <paramref name="now"/>.</summary>
    public DateTimeOffset FirstDue(DateTimeOffset now) => Kind switch
    {
        ReminderKind.Once => At ?? now + Delay!.Value,
        ReminderKind.Every => now + (Delay ?? Period!.Value),
        _ => Cron!.NextAfter(now) ?? throw new InvalidOperationException($"Cron schedule '{Cron.Expression}' never fires."),
    };

    /// <summary>
    /// The tick after one due at <paramref name="due"/> that fired at <paramref name="now"/>, or null
    /// when there is none. Ticks missed while nothing ran are not replayed: the next one is in the future.
    /// </summary>
    public DateTimeOffset? NextDue(DateTimeOffset due, DateTimeOffset now)
    {
        switch (Kind)
        {
            case ReminderKind.Once:
                return null;
            case ReminderKind.Every:
                var period = Period!.Value;
                var next = due + period;
                if (next <= now)
                    next += TimeSpan.FromTicks(period.Ticks * ((now - next).Ticks / period.Ticks + 1));
                return next;
            default:
                return Cron!.NextAfter(now > due ? now : due);
        }
    }

    internal string ToJson() => JsonSerializer.Serialize(new Stored(Kind, At, Delay?.TotalMilliseconds, Period?.TotalMilliseconds, Cron?.Expression, Cron?.TimeZone.Id), GrainJson.Options);

    internal static ReminderSchedule FromJson(string json)
    {
        var s = JsonSerializer.Deserialize<Stored>(json, GrainJson.Options)!;
        return s.Kind switch
        {
            ReminderKind.Once => s.At is { } at ? Once(at) : After(TimeSpan.FromMilliseconds(s.DelayMs ?? 0)),
            ReminderKind.Every => Every(TimeSpan.FromMilliseconds(s.PeriodMs!.Value), s.DelayMs is { } d ? TimeSpan.FromMilliseconds(d) : null),
            _ => OnCron(CronSchedule.Parse(s.Cron, s.TimeZone)),
        };
    }

    private static TimeSpan NonNegative(TimeSpan value, string name) =>
        value < TimeSpan.Zero ? throw new ArgumentOutOfRangeException(name, "A delay cannot be negative.") : value;

    private sealed record Stored(
        ReminderKind Kind,
        DateTimeOffset? At,
        double? DelayMs,
        double? PeriodMs,
        [property: JsonPropertyName("cron")] string? Cron,
        string? TimeZone);
}

public enum ReminderKind
{
    Once,
    Every,
    Cron,
}
