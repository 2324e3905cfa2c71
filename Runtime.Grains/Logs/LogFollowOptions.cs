using System.ComponentModel.DataAnnotations;

namespace Runtime.Grains.Logs;

/// <summary>How often a log follower reads the store when no stored line woke it, and when it says it is still there (<c>Runtime:Logs</c>).</summary>
public sealed class LogFollowOptions
{
    public const string Section = "Runtime:Logs";

    /// <summary>
    /// While the process LISTENs, stored lines wake their followers within milliseconds; this read is only
    /// a fallback, so it can be rare (2 s).
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:00.050", "01:00:00")]
    public TimeSpan Poll { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>While the LISTEN connection is down nothing wakes followers: they read this often (200 ms, as before notifications).</summary>
    [Range(typeof(TimeSpan), "00:00:00.010", "00:01:00")]
    public TimeSpan PollWithoutListen { get; set; } = TimeSpan.FromMilliseconds(200);

    /// <summary>A follower that got no line this long is sent an SSE comment (15 s), so that proxies do not close an idle stream.</summary>
    [Range(typeof(TimeSpan), "00:00:01", "01:00:00")]
    public TimeSpan KeepAlive { get; set; } = TimeSpan.FromSeconds(15);
}
