using Runtime.Agent.Gateway;
using Runtime.Agent.Hosting;
using Runtime.Execution.Agents;

namespace Runtime.Agent.Loops;

/// <summary>
/// Claims the environment's assignments with a long poll (<see cref="ClaimWait"/>) once the Api took a
/// heartbeat, and hands each to the <see cref="AgentRunner"/> on its own. Unreachable Api, refused token
/// or another agent holding the environment: it tries again with a doubling wait.
/// </summary>
internal sealed partial class AssignmentLoop(
    GatewayClient client, AgentSettings settings, AgentConnection connection, AgentRunner runner, TimeProvider time, ILogger<AssignmentLoop> logger)
    : BackgroundService
{
    public static readonly TimeSpan ClaimWait = TimeSpan.FromSeconds(25);
    private const int ClaimMax = 8;

    private readonly Backoff _backoff = new();

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        try
        {
            await connection.Connected.WaitAsync(stoppingToken);
            while (!stoppingToken.IsCancellationRequested)
            {
                try
                {
                    await ClaimOnceAsync(stoppingToken);
                    _backoff.Reset();
                }
                catch (Exception e) when (e is GatewayException or HttpRequestException or TimeoutException or IOException or System.Text.Json.JsonException)
                {
                    var wait = _backoff.Next();
                    if (e is GatewayException { IsConflict: true })
                        LogHeldByAnother(settings.Environment, wait.TotalSeconds);
                    else if (e is GatewayException { IsTokenRefused: true })
                        LogTokenRefused(settings.Environment, wait.TotalSeconds);
                    else
                        LogClaimFailed(settings.Environment, e.Message, wait.TotalSeconds);
                    await Task.Delay(wait, time, stoppingToken);
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    /// <summary>One claim; its assignments are handled in the background. Returns how many came.</summary>
    public async Task<int> ClaimOnceAsync(CancellationToken ct)
    {
        var claimed = await client.ClaimAsync(ClaimMax, ClaimWait, ct);
        foreach (var assignment in claimed)
        {
            LogClaimed(settings.Environment, assignment.Kind, assignment.Id, assignment.WorkloadId);
            _ = Task.Run(() => runner.HandleAsync(assignment, ct), CancellationToken.None);
        }
        return claimed.Count;
    }
}
