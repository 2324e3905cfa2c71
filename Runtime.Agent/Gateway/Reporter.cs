using Runtime.Execution.Agents;

namespace Runtime.Agent.Gateway;

/// <summary>
/// Reports and completions, which must arrive: sent again after network errors and transient answers
/// (5xx, 401 while a token is rotated) with a doubling wait, for up to <see cref="GiveUpAfter"/>; an answer
/// such as 400 or 404 means the Api will never take it, so it is logged and dropped.
/// </summary>
internal sealed partial class Reporter(GatewayClient client, TimeProvider time, ILogger<Reporter> logger)
{
    public static readonly TimeSpan GiveUpAfter = TimeSpan.FromMinutes(15);

    public Task ReportAsync(AgentReport report) =>
        SendAsync($"{report.Event} report for {report.AssignmentId}", ct => client.ReportAsync(report, ct));

    public Task ReportAsync(Guid assignmentId, string @event, string? address = null, string? reason = null, int? exitCode = null,
        string? stopReason = null, string? lastLines = null, string? tokenHash = null) =>
        ReportAsync(new AgentReport(client.AgentId, assignmentId, @event, address, reason, exitCode, stopReason, lastLines, tokenHash));

    public Task CompleteAsync(Guid assignmentId, bool succeeded, object? result = null) =>
        SendAsync($"completion of {assignmentId}", ct => client.CompleteAsync(assignmentId, succeeded, result, ct));

    private async Task SendAsync(string what, Func<CancellationToken, Task> send)
    {
        var backoff = new Backoff();
        var started = time.GetTimestamp();
        while (true)
        {
            try
            {
                await send(CancellationToken.None);
                return;
            }
            catch (GatewayException e) when (!e.IsTransient)
            {
                LogRefused(what, e.Message);
                return;
            }
            catch (Exception e) when (e is GatewayException or HttpRequestException or TimeoutException or IOException)
            {
                if (time.GetElapsedTime(started) > GiveUpAfter)
                {
                    LogGaveUp(what, e.Message);
                    return;
                }
                var wait = backoff.Next();
                LogRetrying(what, e.Message, wait.TotalSeconds);
                // Not cut short at shutdown: the agent's process ending is what ends it.
                await Task.Delay(wait, time);
            }
        }
    }
}
