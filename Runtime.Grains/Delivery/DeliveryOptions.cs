using System.ComponentModel.DataAnnotations;

namespace Runtime.Grains.Delivery;

/// <summary>How a silo claims and delivers messages, reminders and activities (<c>Runtime:Delivery</c>).</summary>
public sealed class DeliveryOptions
{
    public const string Section = "Runtime:Delivery";

    /// <summary>How long a claim is held before others may take it: the longest a dead silo's work waits. Far above a grain call's duration.</summary>
    [Range(typeof(TimeSpan), "00:00:00.100", "01:00:00")]
    public TimeSpan LeaseDuration { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Fallback poll when no notification arrives (a dropped LISTEN connection); notifications normally wake the loops at once.</summary>
    [Range(typeof(TimeSpan), "00:00:00.010", "00:10:00")]
    public TimeSpan PollInterval { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>Rows claimed per round trip; enough to keep the workers busy without hoarding work another silo could do.</summary>
    [Range(1, 10_000)]
    public int BatchSize { get; set; } = 100;

    /// <summary>Grain calls run at once by one pump; well under the connection pool's 100.</summary>
    [Range(1, 256)]
    public int MaxConcurrency { get; set; } = 16;

    /// <summary>Activities run at once by one silo; they are slow (clones, builds) and share the machine.</summary>
    [Range(1, 256)]
    public int MaxConcurrentActivities { get; set; } = 8;

    /// <summary>Failed deliveries are retried with exponential backoff this many times, then dead-lettered.</summary>
    [Range(1, 100)]
    public int MaxAttempts { get; set; } = 10;

    /// <summary>The longest wait between retries.</summary>
    [Range(typeof(TimeSpan), "00:00:00.010", "01:00:00")]
    public TimeSpan MaxRetryDelay { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>How often a silo proves it is alive.</summary>
    [Range(typeof(TimeSpan), "00:00:00.050", "00:10:00")]
    public TimeSpan HeartbeatInterval { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>A silo silent this long is declared dead and its claims released (four missed heartbeats).</summary>
    [Range(typeof(TimeSpan), "00:00:00.200", "01:00:00")]
    public TimeSpan SiloDeadAfter { get; set; } = TimeSpan.FromSeconds(20);

    /// <summary>Backoff before attempt <paramref name="attempt"/> + 1: 1 s, 2 s, 4 s … capped.</summary>
    public TimeSpan RetryDelay(int attempt) =>
        TimeSpan.FromMilliseconds(Math.Min(MaxRetryDelay.TotalMilliseconds, 1000 * Math.Pow(2, Math.Max(0, attempt - 1))));
}
