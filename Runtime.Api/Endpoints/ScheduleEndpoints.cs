using Runtime.Grains;
using Runtime.Grains.Reminders;

namespace Runtime.Api.Endpoints;

/// <summary>Checks a cron schedule and shows when it fires, before a job is given it.</summary>
public static class ScheduleEndpoints
{
    public sealed record FireTime(DateTimeOffset Utc, DateTimeOffset Local);

    public sealed record SchedulePreview(string Cron, string TimeZone, IReadOnlyList<FireTime> Next);

    public static RouteGroupBuilder MapScheduleEndpoints(this RouteGroupBuilder api)
    {
        api.MapGet("/schedules/preview", Preview).WithName("PreviewSchedule").WithTags("Schedules")
            .WithSummary("Validate a cron expression in a time zone and list its next fire times");
        return api;
    }

    private static SchedulePreview Preview(string? cron, string? timeZone, int? count, TimeProvider time)
    {
        var n = count ?? 5;
        if (n is < 1 or > 100)
            throw new ValidationException("count", "count must be between 1 and 100.");
        var schedule = CronSchedule.Parse(cron, timeZone);
        var next = schedule.Upcoming(time.GetUtcNow(), n)
            .Select(at => new FireTime(at, TimeZoneInfo.ConvertTime(at, schedule.TimeZone)))
            .ToList();
        return new SchedulePreview(schedule.Expression, schedule.TimeZone.Id, next);
    }
}
