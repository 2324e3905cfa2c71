namespace Runtime.Grains.Reminders;

/// <summary>Implemented by a grain class that registers reminders; each due tick is one grain call.</summary>
public interface IRemindable
{
    Task ReceiveReminder(string name, ReminderTick tick);
}

/// <summary>One firing of a reminder.</summary>
/// <param name="DueAt">When the tick was due.</param>
/// <param name="FiredAt">When it fired (later than due after downtime: missed ticks collapse into this one).</param>
/// <param name="NextDueAt">The next tick, or null when this was the last.</param>
[Orleans.GenerateSerializer, Orleans.Alias("reminder.tick")]
public sealed record ReminderTick(string Name, DateTimeOffset DueAt, DateTimeOffset FiredAt, DateTimeOffset? NextDueAt);

internal static class ReminderName
{
    public static void Validate(string name)
    {
        if (string.IsNullOrWhiteSpace(name) || name.Length > 200)
            throw new ArgumentException("A reminder name is 1 to 200 characters.", nameof(name));
    }
}
