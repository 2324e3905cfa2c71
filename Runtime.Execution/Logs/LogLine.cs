namespace Runtime.Execution.Logs;

/// <summary>One line a workload printed, with its stream (stdout, stderr) and when it was read.</summary>
public sealed record LogLine(string WorkloadId, string Stream, DateTimeOffset At, string Text);

/// <summary>Where a workload's lines go (the log store, a shipper to the Api, a test's list).</summary>
public interface ILogSink
{
    void Write(LogLine line);
}
