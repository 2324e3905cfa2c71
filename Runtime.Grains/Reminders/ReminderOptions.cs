namespace Runtime.Grains.Reminders;

/// <summary>How a grain's reminders fire after a time when no silo held the grain.</summary>
public sealed class ReminderOptions
{
    public const string Section = "Runtime:Reminders";

    /// <summary>
    /// Ticks missed by less than this each fire, in order, when the grain is back (a silo's failover
    /// and the sweep that wakes its grains take seconds); older ones collapse into one tick, due at
    /// the first of them (one catch-up after downtime).
    /// </summary>
    public TimeSpan ReplayWindow { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>At most this many missed ticks fire one by one; any more collapse as older ones do.</summary>
    public int MaxReplayed { get; set; } = 100;
}
