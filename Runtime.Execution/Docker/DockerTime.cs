using System.Globalization;

namespace Runtime.Execution.Docker;

/// <summary>The engine's time formats: RFC 3339 with nanoseconds in log lines, Unix seconds in <c>since</c>.</summary>
internal static class DockerTime
{
    /// <summary>
    /// Parses the timestamp Docker puts before each log line (<c>2026-12-07T04:12:01.123456789Z</c>); .NET
    /// reads at most seven fractional digits, so the nanoseconds are cut to ticks first.
    /// </summary>
    public static DateTimeOffset? ParseTimestamp(string text)
    {
        var dot = text.IndexOf('.');
        if (dot >= 0)
        {
            var zone = dot + 1;
            while (zone < text.Length && char.IsAsciiDigit(text[zone]))
                zone++;
            text = text[..Math.Min(zone, dot + 8)] + text[zone..];
        }
        return DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var at)
            ? at
            : null;
    }

    /// <summary>A moment as the logs endpoint's <c>since</c> takes it: Unix seconds with nanoseconds.</summary>
    public static string Since(DateTimeOffset at)
    {
        var ticks = at.UtcTicks - DateTimeOffset.UnixEpoch.UtcTicks;
        var seconds = ticks / TimeSpan.TicksPerSecond;
        var nanoseconds = ticks % TimeSpan.TicksPerSecond * 100;
        return string.Create(CultureInfo.InvariantCulture, $"{seconds}.{nanoseconds:D9}");
    }
}
