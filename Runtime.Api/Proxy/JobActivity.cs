using System.Collections.Concurrent;
using Runtime.Grains;
using Runtime.Grains.Jobs;

namespace Runtime.Api.Proxy;

/// <summary>
/// Tells interactive jobs they are being used, so that their idle timeout counts from the last use: a
/// proxied request when it starts and ends, and every so often while it lasts (a WebSocket, a stream).
/// At most one report per job per tenth of its idle timeout (0.1 to 30 s) leaves this process.
/// </summary>
public sealed partial class JobActivity(Orleans.IGrainFactory grains, TimeProvider time, ILogger<JobActivity> logger)
{
    private const int MaxJobs = 10_000;
    private static readonly TimeSpan MinInterval = TimeSpan.FromMilliseconds(100);
    private static readonly TimeSpan MaxInterval = TimeSpan.FromSeconds(30);

    private readonly ConcurrentDictionary<Guid, long> _lastReported = new();

    private TimeProvider Time => time;

    /// <summary>A proxied request to the job's app: reported now, while it lasts, and when it ends (dispose).</summary>
    public IDisposable Track(Guid jobId, TimeSpan idleTimeout)
    {
        var interval = TimeSpan.FromTicks(Math.Clamp(idleTimeout.Ticks / 10, MinInterval.Ticks, MaxInterval.Ticks));
        Report(jobId, interval);
        return new Use(this, jobId, interval);
    }

    private void Report(Guid jobId, TimeSpan interval)
    {
        var now = time.GetTimestamp();
        if (_lastReported.TryGetValue(jobId, out var last) && time.GetElapsedTime(last, now) < interval)
            return;
        if (_lastReported.Count >= MaxJobs)
            _lastReported.Clear();
        _lastReported[jobId] = now;
        _ = SendAsync(jobId);
    }

    private async Task SendAsync(Guid jobId)
    {
        try
        {
            await grains.GetGrain<IJobGrain>(jobId).Visited();
        }
        catch (Exception e)
        {
            // The next use reports again; a job stopped for idleness meanwhile starts on the next visit.
            LogReportFailed(e, jobId);
        }
    }

    private sealed class Use : IDisposable
    {
        private readonly JobActivity _owner;
        private readonly Guid _jobId;
        private readonly TimeSpan _interval;
        private readonly ITimer _timer;

        public Use(JobActivity owner, Guid jobId, TimeSpan interval)
        {
            _owner = owner;
            _jobId = jobId;
            _interval = interval;
            _timer = owner.Time.CreateTimer(_ => owner.Report(jobId, interval), null, interval, interval);
        }

        public void Dispose()
        {
            _timer.Dispose();
            _owner.Report(_jobId, _interval);
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Job {JobId}: could not report its app's use; its idle timeout may stop it early")]
    private partial void LogReportFailed(Exception error, Guid jobId);
}
