using System.Collections.Concurrent;
using Cronos;

namespace Runtime.Grains.Reminders;

/// <summary>
/// A cron expression (5 fields, 6 with seconds first, or a macro such as <c>@daily</c>) read in an
/// IANA time zone, evaluated by Cronos. Across daylight-saving changes it behaves as Vixie cron:
/// a wall-clock time skipped by the spring jump fires once, right after the gap (02:30 runs at 03:00);
/// a time repeated by the autumn fall-back fires once, unless the expression is an interval
/// (a <c>*</c>, range or step in the second, minute or hour field, e.g. <c>*/15 * * * *</c>),
/// which fires in both passes of the repeated hour.
/// </summary>
public sealed class CronSchedule
{
    private static readonly ConcurrentDictionary<(string Expression, string TimeZone), CronSchedule> Cache = new();
    private static readonly string[] Macros = ["@yearly", "@annually", "@monthly", "@weekly", "@daily", "@midnight", "@hourly", "@every_minute", "@every_second"];

    private readonly CronExpression _expression;

    private CronSchedule(string expression, TimeZoneInfo timeZone, CronExpression parsed)
    {
        Expression = expression;
        TimeZone = timeZone;
        _expression = parsed;
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
        var parsed = ParseExpression(expression, expressionField, validation);
        if (!TimeZoneInfo.TryFindSystemTimeZoneById(zoneId, out var zone))
            validation.Add(timeZoneField, $"'{timeZone}' is not a known IANA time zone, for example UTC, Europe/Berlin or America/New_York.");
        validation.ThrowIfInvalid();

        var cron = new CronSchedule(expression!.Trim(), zone!, parsed!);
        if (cron.NextAfter(DateTimeOffset.UtcNow) is null)
            throw new ValidationException(expressionField, $"'{expression}' never fires (no date matches it, e.g. February 31st); check the day-of-month and month fields.");
        return Cache.GetOrAdd(key, cron);
    }

    /// <summary>The next n fire times after <paramref name="after"/>.</summary>
    public IEnumerable<DateTimeOffset> Upcoming(DateTimeOffset after, int count)
    {
        for (var i = 0; i < count && NextAfter(after) is { } next; i++)
            yield return after = next;
    }

    /// <summary>The first fire time strictly after <paramref name="after"/>, in UTC, or null when there is none.</summary>
    public DateTimeOffset? NextAfter(DateTimeOffset after) =>
        // Cronos answers in the zone's offset; callers store and show instants in UTC.
        _expression.GetNextOccurrence(after, TimeZone, inclusive: false)?.ToUniversalTime();

    public override string ToString() => $"{Expression} ({TimeZone.Id})";

    private static CronExpression? ParseExpression(string? expression, string field, Validation validation)
    {
        if (string.IsNullOrWhiteSpace(expression))
        {
            validation.Add(field, "A cron expression is required, for example \"0 2 * * *\" for 02:00 every day.");
            return null;
        }

        var text = expression.Trim();
        if (text.StartsWith('@'))
        {
            if (CronExpression.TryParse(text, out var macro))
                return macro;
            validation.Add(field, $"'{expression}' is not a known macro; use one of {string.Join(", ", Macros)}.");
            return null;
        }

        // Cronos must be told whether a seconds field comes first; the field count says.
        var fields = text.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        if (fields.Length is not (5 or 6))
        {
            validation.Add(field, $"'{expression}' has {fields.Length} fields; a cron expression has 5 (minute hour day-of-month month day-of-week) or 6 with seconds first.");
            return null;
        }

        try
        {
            return CronExpression.Parse(string.Join(' ', fields), fields.Length == 6 ? CronFormat.IncludeSeconds : CronFormat.Standard);
        }
        catch (CronFormatException e)
        {
            validation.Add(field, $"'{expression}' is not a valid cron expression: {Reason(e)} Check each field's range (second and minute 0-59, hour 0-23, day 1-31, month 1-12, weekday 0-7).");
        }
        catch (MissingSeedException)
        {
            // H needs a jitter seed; a schedule is re-parsed from expression and zone alone, so there is none to give.
            validation.Add(field, $"'{expression}' uses H (random jitter), which is not supported; give fixed values instead.");
        }
        return null;
    }

    // Cronos prefixes every message with this sentence (its constant is internal); the rest names the field and the problem.
    private const string CronosPrefix = "The given cron expression has an invalid format.";

    private static string Reason(CronFormatException e)
    {
        var reason = e.Message.StartsWith(CronosPrefix, StringComparison.Ordinal) ? e.Message[CronosPrefix.Length..].Trim() : e.Message.Trim();
        return reason.Length == 0 ? "it cannot be read." : reason.EndsWith('.') ? reason : reason + ".";
    }
}
