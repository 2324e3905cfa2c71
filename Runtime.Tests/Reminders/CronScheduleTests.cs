using Runtime.Grains;
using Runtime.Grains.Reminders;
using Xunit;

namespace Runtime.Tests.Reminders;

public sealed class CronScheduleTests
{
    private static DateTimeOffset Utc(string text) => DateTimeOffset.Parse(text + "Z", System.Globalization.CultureInfo.InvariantCulture);

    private static List<DateTimeOffset> Fires(string cron, string zone, string fromUtc, int count) =>
        CronSchedule.Parse(cron, zone).Upcoming(Utc(fromUtc), count).ToList();

    [Fact]
    public void Berlin_DailyAt0230_RunsAt0300OnTheSpringForwardDay()
    {
        // 2026-03-29 02:00 CET jumps to 03:00 CEST: 02:30 does not exist that day.
        var fires = Fires("30 2 * * *", "Europe/Berlin", "2026-03-27T12:00:00", 3);

        Assert.Equal([Utc("2026-03-28T01:30:00"), Utc("2026-03-29T01:00:00"), Utc("2026-03-30T00:30:00")], fires);
    }

    [Fact]
    public void Berlin_DailyAt0230_RunsOnceOnTheFallBackDay()
    {
        // 2026-10-25 03:00 CEST falls back to 02:00 CET: 02:30 happens twice; it runs at the first.
        var fires = Fires("30 2 * * *", "Europe/Berlin", "2026-10-23T12:00:00", 3);

        Assert.Equal([Utc("2026-10-24T00:30:00"), Utc("2026-10-25T00:30:00"), Utc("2026-10-26T01:30:00")], fires);
    }

    [Fact]
    public void NewYork_DailyAt0230_RunsAt0300OnTheSpringForwardDay()
    {
        // 2026-03-08 02:00 EST jumps to 03:00 EDT.
        var fires = Fires("30 2 * * *", "America/New_York", "2026-03-06T12:00:00", 3);

        Assert.Equal([Utc("2026-03-07T07:30:00"), Utc("2026-03-08T07:00:00"), Utc("2026-03-09T06:30:00")], fires);
    }

    [Fact]
    public void NewYork_DailyAt0130_RunsOnceOnTheFallBackDay()
    {
        // 2026-11-01 02:00 EDT falls back to 01:00 EST: 01:30 happens twice.
        var fires = Fires("30 1 * * *", "America/New_York", "2026-10-30T12:00:00", 3);

        Assert.Equal([Utc("2026-10-31T05:30:00"), Utc("2026-11-01T05:30:00"), Utc("2026-11-02T06:30:00")], fires);
    }

    [Fact]
    public void Hourly_KeepsFiringEveryHourThroughTheRepeatedHour()
    {
        var fires = Fires("0 * * * *", "Europe/Berlin", "2026-10-24T23:30:00", 4);

        Assert.Equal([Utc("2026-10-25T00:00:00"), Utc("2026-10-25T01:00:00"), Utc("2026-10-25T02:00:00"), Utc("2026-10-25T03:00:00")], fires);
    }

    [Fact]
    public void Berlin_Every15MinutesWithSeconds_FiresInBothPassesOfTheRepeatedHour()
    {
        // 03:00 CEST (01:00Z) falls back to 02:00 CET: an interval keeps its 15-minute rhythm in UTC.
        var fires = Fires("0 */15 * * * *", "Europe/Berlin", "2026-10-25T00:20:00", 7);

        Assert.Equal([Utc("2026-10-25T00:30:00"), Utc("2026-10-25T00:45:00"), Utc("2026-10-25T01:00:00"), Utc("2026-10-25T01:15:00"),
            Utc("2026-10-25T01:30:00"), Utc("2026-10-25T01:45:00"), Utc("2026-10-25T02:00:00")], fires);
    }

    [Fact]
    public void NewYork_Every15MinutesWithSeconds_FiresInBothPassesOfTheRepeatedHour()
    {
        // 02:00 EDT (06:00Z) falls back to 01:00 EST: 01:00-01:45 local happen twice, 05:00Z-06:45Z.
        var fires = Fires("0 */15 * * * *", "America/New_York", "2026-11-01T04:50:00", 9);

        Assert.Equal([Utc("2026-11-01T05:00:00"), Utc("2026-11-01T05:15:00"), Utc("2026-11-01T05:30:00"), Utc("2026-11-01T05:45:00"),
            Utc("2026-11-01T06:00:00"), Utc("2026-11-01T06:15:00"), Utc("2026-11-01T06:30:00"), Utc("2026-11-01T06:45:00"),
            Utc("2026-11-01T07:00:00")], fires);
    }

    [Fact]
    public void Berlin_Every15MinutesWithSeconds_SkipsNothingButTheMissingHourOnTheSpringForwardDay()
    {
        // 02:00 CET (01:00Z) jumps to 03:00 CEST: 01:45 CET is followed by 03:00 CEST, 15 minutes later.
        var fires = Fires("0 */15 * * * *", "Europe/Berlin", "2026-03-29T00:40:00", 3);

        Assert.Equal([Utc("2026-03-29T00:45:00"), Utc("2026-03-29T01:00:00"), Utc("2026-03-29T01:15:00")], fires);
    }

    [Fact]
    public void NewYork_MinuteStepInAFixedHour_IsAnInterval_AndFiresInBothPasses()
    {
        // Cronos counts a step in the minute field as an interval, though the hour is fixed.
        var fires = Fires("*/30 1 * * *", "America/New_York", "2026-11-01T04:00:00", 5);

        Assert.Equal([Utc("2026-11-01T05:00:00"), Utc("2026-11-01T05:30:00"), Utc("2026-11-01T06:00:00"), Utc("2026-11-01T06:30:00"),
            Utc("2026-11-02T06:00:00")], fires);
    }

    [Fact]
    public void FireTimes_AreInUtc()
    {
        var next = CronSchedule.Parse("30 2 * * *", "Europe/Berlin").NextAfter(Utc("2026-07-01T12:00:00"));

        Assert.Equal(Utc("2026-07-02T00:30:00"), next);
        Assert.Equal(TimeSpan.Zero, next!.Value.Offset);
    }

    [Fact]
    public void SecondsField_FiresEverySecondsStep()
    {
        var fires = Fires("*/15 * * * * *", "UTC", "2026-01-01T00:00:01", 3);

        Assert.Equal([Utc("2026-01-01T00:00:15"), Utc("2026-01-01T00:00:30"), Utc("2026-01-01T00:00:45")], fires);
    }

    [Fact]
    public void Macro_Daily_IsMidnightInTheZone()
    {
        var fires = Fires("@daily", "America/New_York", "2026-07-01T12:00:00", 1);

        Assert.Equal([Utc("2026-07-02T04:00:00")], fires);
    }

    [Theory]
    [InlineData("61 * * * *")]
    [InlineData("* * *")]
    [InlineData("@fortnightly")]
    [InlineData("")]
    [InlineData("0 0 31 2 *")]
    [InlineData("H 2 * * *")]
    [InlineData("0 2 * * * * *")]
    [InlineData("0 2 * * mon-xyz")]
    public void InvalidExpression_IsAValidationErrorNamingTheField(string cron)
    {
        var error = Assert.Throws<ValidationException>(() => CronSchedule.Parse(cron, "UTC", expressionField: "schedule.cron"));

        Assert.Equal(["schedule.cron"], error.Errors.Keys);
    }

    [Fact]
    public void InvalidExpression_SaysWhichFieldIsWrongAndHowToFixIt()
    {
        var error = Assert.Throws<ValidationException>(() => CronSchedule.Parse("61 * * * *", "UTC", expressionField: "schedule.cron"));

        var message = Assert.Single(error.Errors["schedule.cron"]);
        Assert.Contains("'61 * * * *'", message);
        Assert.Contains("Minutes", message);
        Assert.Contains("0 and 59", message);
        Assert.DoesNotContain("The given cron expression has an invalid format", message);
    }

    [Fact]
    public void UnknownMacro_ListsTheKnownOnes()
    {
        var error = Assert.Throws<ValidationException>(() => CronSchedule.Parse("@fortnightly", "UTC"));

        Assert.Contains("@daily", Assert.Single(error.Errors["cron"]));
    }

    [Fact]
    public void UnknownTimeZone_IsAValidationErrorNamingTheCallersField()
    {
        var error = Assert.Throws<ValidationException>(() =>
            CronSchedule.Parse("0 2 * * *", "Europe/Atlantis", expressionField: "schedule.cron", timeZoneField: "schedule.timeZone"));

        Assert.Equal(["schedule.timeZone"], error.Errors.Keys);
        Assert.Contains("Europe/Atlantis", error.Errors["schedule.timeZone"][0]);
    }

    [Fact]
    public void UnknownTimeZone_IsAValidationErrorNamingTheField()
    {
        var error = Assert.Throws<ValidationException>(() => CronSchedule.Parse("0 2 * * *", "Mars/Olympus_Mons"));

        Assert.Equal(["timeZone"], error.Errors.Keys);
        Assert.Contains("Mars/Olympus_Mons", error.Errors["timeZone"][0]);
    }

    [Fact]
    public void BadExpressionAndZone_AreBothReported()
    {
        var error = Assert.Throws<ValidationException>(() => CronSchedule.Parse("nope", "Nowhere/Land"));

        Assert.Equal(["cron", "timeZone"], error.Errors.Keys.Order());
    }
}
