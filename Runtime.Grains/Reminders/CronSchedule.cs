using System.Collections.Concurrent;
using NCrontab;

namespace Runtime.Grains.Reminders;

/// <summary>
/// A cron expression (5 fields, 6 with seconds first, or a macro such as <c>@daily</c>) read in an
/// IANA time zone. Across daylight-saving changes it behaves as people expect of a scheduler:
/// a wall-clock time skipped by the spring jump fires at the jump (02:30 runs at 03:00); a time
/// repeated by the autumn fall-back fires once, unless the hour field is a wildcard or step
/// (<c>*/15 * * * *</c>), which fires in both passes of the repeated hour.
/// </summary>
public sealed class CronSchedule
{
    private static readonly ConcurrentDictionary<(string Expression, string TimeZone), CronSchedule> Cache = new();
    private static readonly TimeSpan Horizon = TimeSpan.FromDays(366 * 10);
    private static readonly Dictionary<string, string> Macros = new(StringComparer.OrdinalIgnoreCase)
    {
        ["@yearly"] = "0 0 1 1 *",
        ["@annually"] = "0 0 1 1 *",
        ["@monthly"] = "0 0 1 * *",
        ["@weekly"] = "0 0 * * 0",
        ["@daily"] = "0 0 * * *",
        ["@midnight"] = "0 0 * * *",
        ["@hourly"] = "0 * * * *",
    };

    private readonly CrontabSchedule _schedule;
    private readonly bool _everyHour;

    private CronSchedule(string expression, TimeZoneInfo timeZone, CrontabSchedule schedule, bool everyHour)
    {
        Expression = expression;
        TimeZone = timeZone;
        _schedule = schedule;
        _everyHour = everyHour;
    }

    /// <summary>The expression as given.</summary>
    public string Expression { get; }

    public TimeZoneInfo TimeZone { get; }

    /// <summary>
    /// Parses and validates; a bad expression or unknown zone is a <see cref="ValidationException"/>
    /// naming <paramref name="expressionField"/> or <paramref name="timeZoneField"/>.
    /// </summary>
    public static CronSchedule Parse(string? expression, string? timeZone, string expressionField = "cron", string timeZoneField = "timeZone")
    {
        var zoneId = string.IsNullOrWhiteSpace(timeZone) ? "UTC" : timeZone.Trim();
        var key = (expression?.Trim() ?? "", zoneId);
        if (Cache.TryGetValue(key, out var cached))
            return cached;

        var validation = new Validation();
        CrontabSchedule? schedule = null;
        var everyHour = false;
        if (string.IsNullOrWhiteSpace(expression))
        {
            validation.Add(expressionField, "A cron expression is required, for example \"0 2 * * *\" for 02:00 every day.");
        }
        else
        {
            var text = expression.Trim();
            if (text.StartsWith('@'))
                text = Macros.GetValueOrDefault(text) ?? "";
            var fields = text.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (fields.Length is not (5 or 6))
            {
                validation.Add(expressionField, text.Length == 0
                    ? $"'{expression}' is not a known macro; use one of {string.Join(", ", Macros.Keys)}."
                    : $"'{expression}' has {fields.Length} fields; a cron expression has 5 (minute hour day-of-month month day-of-week) or 6 with seconds first.");
            }
            else
            {
                schedule = CrontabSchedule.TryParse(string.Join(' ', fields), new CrontabSchedule.ParseOptions { IncludingSeconds = fields.Length == 6 });
                if (schedule is null)
                    validation.Add(expressionField, $"'{expression}' is not a valid cron expression: check each field's range (minute 0-59, hour 0-23, day 1-31, month 1-12, weekday 0-6).");
                everyHour = fields[^4].Contains('*');
            }
        }

        if (!TimeZoneInfo.TryFindSystemTimeZoneById(zoneId, out var zone))
            validation.Add(timeZoneField, $"'{timeZone}' is not a known IANA time zone, for example UTC, Europe/Berlin or America/New_York.");
        validation.ThrowIfInvalid();

        var cron = new CronSchedule(expression!.Trim(), zone!, schedule!, everyHour);
        if (cron.NextAfter(DateTimeOffset.UtcNow) is null)
            throw new ValidationException(expressionField, $"'{expression}' never fires (no matching date in the next 10 years).");
        return Cache.GetOrAdd(key, cron);
    }

    /// <summary>The next n fire times after <paramref name="after"/>.</summary>
    public IEnumerable<DateTimeOffset> Upcoming(DateTimeOffset after, int count)
    {
        for (var i = 0; i < count && NextAfter(after) is { } next; i++)
            yield return after = next;
    }

    /// <summary>The first fire time strictly after <paramref name="after"/>, or null when there is none within 10 years.</summary>
    public DateTimeOffset? NextAfter(DateTimeOffset after)
    {
        // Walk the time line in segments of constant UTC offset. Inside one, wall clock and UTC
        // move together, so the crontab's next wall-clock time maps straight back to an instant.
        var cursor = after.UtcDateTime;
        var limit = cursor + Horizon;
        var includeStart = false;
        while (cursor < limit)
        {
            var offset = TimeZone.GetUtcOffset(cursor);
            var segmentEnd = ZoneTransitions.Next(TimeZone, cursor, limit);
            var wallStart = Wall(cursor + offset);
            var wallEnd = Wall(segmentEnd + offset);

            var wall = _schedule.GetNextOccurrence(includeStart ? wallStart.AddTicks(-1) : wallStart, wallEnd);
            while (wall < wallEnd)
            {
                if (_everyHour || !IsRepeatedPass(wall, offset))
                    return new DateTimeOffset(DateTime.SpecifyKind(wall - offset, DateTimeKind.Utc));
                wall = _schedule.GetNextOccurrence(wall, wallEnd);
            }

            if (segmentEnd >= limit)
                break;
            var nextOffset = TimeZone.GetUtcOffset(segmentEnd);
            if (nextOffset > offset)
            {
                // Spring forward: wall times in [wallEnd, wallEnd + jump) never happen; they fire at the jump.
                var gapEnd = Wall(segmentEnd + nextOffset);
                if (_schedule.GetNextOccurrence(wallEnd.AddTicks(-1), gapEnd) < gapEnd)
                    return new DateTimeOffset(segmentEnd);
            }
            cursor = segmentEnd;
            includeStart = true;
        }
        return null;
    }

    public override string ToString() => $"{Expression} ({TimeZone.Id})";

    // The second time through a repeated hour, under the smaller (standard) offset.
    private bool IsRepeatedPass(DateTime wall, TimeSpan offset) =>
        TimeZone.IsAmbiguousTime(wall) && offset == TimeZone.GetAmbiguousTimeOffsets(wall).Min();

    private static DateTime Wall(DateTime utc) => DateTime.SpecifyKind(utc, DateTimeKind.Unspecified);
}

/// <summary>The instants at which a zone's UTC offset changes, found once per zone and year.</summary>
internal static class ZoneTransitions
{
    private static readonly ConcurrentDictionary<(string Zone, int Year), DateTime[]> ByYear = new();

    /// <summary>The first transition strictly after <paramref name="utc"/>, or <paramref name="limit"/>.</summary>
    public static DateTime Next(TimeZoneInfo zone, DateTime utc, DateTime limit)
    {
        if (!zone.SupportsDaylightSavingTime && zone.GetAdjustmentRules().Length == 0)
            return limit;
        for (var year = utc.Year; year <= limit.Year; year++)
        {
            foreach (var transition in Of(zone, year))
            {
                if (transition > utc)
                    return transition < limit ? transition : limit;
            }
        }
        return limit;
    }

    private static DateTime[] Of(TimeZoneInfo zone, int year) => ByYear.GetOrAdd((zone.Id, year), key =>
    {
        var list = new List<DateTime>();
        var day = new DateTime(key.Year, 1, 1, 0, 0, 0, DateTimeKind.Utc);
        var end = day.AddYears(1);
        var offset = zone.GetUtcOffset(day);
        while (day < end)
        {
            var next = day.AddDays(1);
            var nextOffset = zone.GetUtcOffset(next);
            if (nextOffset != offset)
            {
                // Bisect to the second: zones change on whole seconds.
                DateTime lo = day, hi = next;
                while (hi - lo > TimeSpan.FromSeconds(1))
                {
                    var mid = lo + (hi - lo) / 2;
                    mid = new DateTime(mid.Ticks - mid.Ticks % TimeSpan.TicksPerSecond, DateTimeKind.Utc);
                    if (mid <= lo)
                        break;
                    if (zone.GetUtcOffset(mid) == offset)
                        lo = mid;
                    else
                        hi = mid;
                }
                list.Add(hi);
                offset = nextOffset;
            }
            day = next;
        }
        return list.ToArray();
    });
}
