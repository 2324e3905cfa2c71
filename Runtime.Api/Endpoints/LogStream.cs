using System.Text.Json;
using Runtime.Grains.Logs;

namespace Runtime.Api.Endpoints;

/// <summary>
/// Follows a workload's stored lines as Server-Sent Events. The agent ships lines every 100 ms and
/// this reads new ones every 200 ms, so a line reaches the follower well under a second after it was printed.
/// </summary>
public static class LogStream
{
    private static readonly TimeSpan Poll = TimeSpan.FromMilliseconds(200);
    private static readonly TimeSpan KeepAlive = TimeSpan.FromSeconds(15);
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    /// <param name="ended">For a workload that ends (a run): once it says so and every stored line was sent,
    /// an <c>end</c> event closes the stream (the log is complete by then).</param>
    public static async Task FollowAsync(HttpContext http, WorkloadLogStore logs, string workloadId, int tail, Func<CancellationToken, Task<bool>>? ended = null)
    {
        var ct = http.RequestAborted;
        http.Response.ContentType = "text/event-stream";
        http.Response.Headers.CacheControl = "no-cache";
        http.Response.Headers["X-Accel-Buffering"] = "no";

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

        var quiet = TimeSpan.Zero;
        try
        {
            while (!ct.IsCancellationRequested)
            {
                // Asked before reading, so that no line stored before the end is missed.
                var over = ended is not null && await ended(ct);
                var lines = await logs.AfterAsync(workloadId, position, 1000, ct);
                if (over && lines.Count == 0)
                {
                    await http.Response.WriteAsync("event: end\ndata: {}\n\n", ct);
                    await http.Response.Body.FlushAsync(ct);
                    return;
                }
                if (lines.Count > 0)
                {
                    position = await WriteAsync(http, lines, position);
                    quiet = TimeSpan.Zero;
                }
                else if ((quiet += Poll) >= KeepAlive)
                {
                    await http.Response.WriteAsync(": keep-alive\n\n", ct);
                    quiet = TimeSpan.Zero;
                }
                await http.Response.Body.FlushAsync(ct);
                if (lines.Count < 1000 && !over)
                    await Task.Delay(Poll, ct);
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
