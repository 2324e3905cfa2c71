using System.Collections.Concurrent;
using System.Diagnostics;
using System.Diagnostics.Metrics;
using Runtime.Grains.Reminders;
using Runtime.Tests.Grains;
using Runtime.Tests.Infrastructure;
using Xunit;

namespace Runtime.Tests.GrainRuntime;

public sealed class TelemetryTests(TestDatabase database) : IClassFixture<TestDatabase>
{
    [Fact]
    public async Task GrainCall_IsASpanWithTheGrainId()
    {
        var key = "traced-" + Guid.NewGuid();
        var spans = new ConcurrentBag<Activity>();
        using var listener = new ActivityListener
        {
            ShouldListenTo = source => source.Name == "Runtime.Grains",
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
            ActivityStopped = spans.Add,
        };
        ActivitySource.AddActivityListener(listener);

        await database.Grains.Get<ICounterGrain>(key).Increment();

        var span = Assert.Single(spans, s => (string?)s.GetTagItem("runtime.grain.id") == $"counter/{key}");
        Assert.Equal("grain counter.Increment", span.DisplayName);
        Assert.Equal("Increment", span.GetTagItem("runtime.grain.operation"));
    }

    [Fact]
    public async Task CallsAndReminders_AreMeasured_WithAReminderLatenessHistogram()
    {
        var measurements = new ConcurrentDictionary<string, int>();
        using var listener = new MeterListener
        {
            InstrumentPublished = (instrument, l) =>
            {
                if (instrument.Meter.Name == "Runtime.Grains")
                    l.EnableMeasurementEvents(instrument);
            },
        };
        listener.SetMeasurementEventCallback<double>((instrument, _, _, _) => measurements.AddOrUpdate(instrument.Name, 1, (_, n) => n + 1));
        listener.SetMeasurementEventCallback<long>((instrument, _, _, _) => measurements.AddOrUpdate(instrument.Name, 1, (_, n) => n + 1));
        listener.Start();

        await using var silo = await database.StartSiloAsync("silo-telemetry");
        var counter = database.Grains.Get<ICounterGrain>("measured-" + Guid.NewGuid());
        await counter.Remind("once", ReminderSchedule.After(TimeSpan.FromMilliseconds(200)));
        await Eventually.Get(counter.Get, v => v.Fires.Count == 1, TimeSpan.FromSeconds(10), "the reminder");

        Assert.True(measurements.GetValueOrDefault("runtime.grain.calls") > 0);
        Assert.True(measurements.GetValueOrDefault("runtime.grain.call.duration") > 0);
        Assert.True(measurements.GetValueOrDefault("runtime.reminder.fires") > 0);
        Assert.True(measurements.GetValueOrDefault("runtime.reminder.lateness") > 0);
    }
}
