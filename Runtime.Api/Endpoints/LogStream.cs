using System.Diagnostics;
using System.Text.Json;
using Runtime.Grains.Logs;

namespace Runtime.Api.Endpoints;

/// <summary>
/// Follows a workload's stored lines as Server-Sent Events. A follower reads when the store announces
/// lines of its workload (<see cref="LogWakeups"/>), so a line reaches it a few milliseconds after it was
/// stored; a fallback poll covers the time the process is not listening.
/// </summary>
public static class LogStream
{
    private const int Batch = 1000;
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    /// <param name="ended">For a workload that ends (a run): once it says so and every stored line was sent,
    /// an <c>end</c> event closes the stream (the log is complete by then).</param>
    public static async Task FollowAsync(
        HttpContext http, WorkloadLogStore logs, LogWakeups wakeups, string workloadId, int tail, Func<CancellationToken, Task<bool>>? ended = null)
    {
        var ct = http.RequestAborted;
        http.Response.ContentType = "text/event-stream";
        http.Response.Headers.CacheControl = "no-cache";
        http.Response.Headers["X-Accel-Buffering"] = "no";

        // Before the first read: whatever is stored from now on wakes this follower.
        using var follower = wakeups.Follow(workloadId);
        long position;
        if (long.TryParse(http.Request.Headers["Last-Event-ID"], out var resume))
        {
            position = resume;
        }
        else
        {
            var recent = tail == 0 ? [] : await logs.TailAsync(workloadId, tail, ct);
            position = await WriteAsync(http, recent, 0);
        }
        await http.Response.Body.FlushAsync(ct);

        var keepAlive = wakeups.Options.KeepAlive;
        var quiet = Stopwatch.StartNew();
        try
        {
            while (!ct.IsCancellationRequested)
            {
                // Asked before reading, so that no line stored before the end is missed.
                var over = ended is not null && await ended(ct);
                var lines = await logs.AfterAsync(workloadId, position, Batch, ct);
                if (over && lines.Count == 0)
                {
                    await http.Response.WriteAsync("event: end\ndata: {}\n\n", ct);
                    await http.Response.Body.FlushAsync(ct);
                    return;
                }
                if (lines.Count > 0)
                {
                    position = await WriteAsync(http, lines, position);
                    quiet.Restart();
                }
                else if (quiet.Elapsed >= keepAlive)
                {
                    await http.Response.WriteAsync(": keep-alive\n\n", ct);
                    quiet.Restart();
                }
                await http.Response.Body.FlushAsync(ct);
                if (lines.Count < Batch && !over)
                    await follower.WaitAsync(keepAlive - quiet.Elapsed, ct);
            }
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            // The follower went away.
        }
    }

    private static async Task<long> WriteAsync(HttpContext http, IReadOnlyList<StoredLogLine> lines, long position)
    {
        foreach (var line in lines)
        {
            await http.Response.WriteAsync($"id: {line.Id}\nevent: line\ndata: {JsonSerializer.Serialize(line, Json)}\n\n", http.RequestAborted);
            position = line.Id;
        }
        return position;
    }
}
