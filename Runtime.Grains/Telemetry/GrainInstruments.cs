using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace Runtime.Grains.Telemetry;

/// <summary>The spans and metrics of the grain runtime: calls, messages, reminders, activities.</summary>
public static class GrainInstruments
{
    /// <summary>Name of the activity source and the meter; ServiceDefaults subscribes to <c>Runtime.*</c>.</summary>
    public const string Name = "Runtime.Grains";

    public static readonly ActivitySource Source = new(Name);

    private static readonly Meter Meter = new(Name);

    /// <summary>Grain calls by grain type, operation and outcome (ok, refused, error, skipped).</summary>
    public static readonly Counter<long> Calls = Meter.CreateCounter<long>("runtime.grain.calls", description: "Grain calls");

    public static readonly Histogram<double> CallDuration = Meter.CreateHistogram<double>(
        "runtime.grain.call.duration", unit: "ms", description: "Duration of a grain call, lock to commit");

    /// <summary>Message deliveries by outcome (delivered, duplicate, retry, dead).</summary>
    public static readonly Counter<long> Messages = Meter.CreateCounter<long>("runtime.message.deliveries", description: "Message deliveries");

    public static readonly Histogram<double> MessageLatency = Meter.CreateHistogram<double>(
        "runtime.message.latency", unit: "ms", description: "From a message's due time to its delivery");

    public static readonly Counter<long> ReminderFires = Meter.CreateCounter<long>("runtime.reminder.fires", description: "Reminder ticks by outcome");

    /// <summary>How late a reminder fired: the start of its grain call minus its due time.</summary>
    public static readonly Histogram<double> ReminderLateness = Meter.CreateHistogram<double>(
        "runtime.reminder.lateness", unit: "ms", description: "Reminder firing time minus due time");

    public static readonly Counter<long> ActivityRuns = Meter.CreateCounter<long>("runtime.activity.runs", description: "Activity runs by kind and outcome");

    public static readonly Histogram<double> ActivityDuration = Meter.CreateHistogram<double>(
        "runtime.activity.duration", unit: "ms", description: "Duration of an activity run");
}
