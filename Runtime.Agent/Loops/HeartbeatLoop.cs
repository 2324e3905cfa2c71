using Runtime.Agent.Gateway;
using Runtime.Agent.Hosting;
using Runtime.Agent.Resources;
using Runtime.Execution.Agents;

namespace Runtime.Agent.Loops;

/// <summary>
/// Tells the Api every <see cref="AgentGateway.HeartbeatSeconds"/> (or what it answers, or the operator's
/// override) that this agent lives, what it runs and how loaded its machine is. While another agent holds the
/// environment (409), the token is refused (401) or the Api is unreachable, it keeps trying with a doubling wait.
/// </summary>
internal sealed partial class HeartbeatLoop(
    GatewayClient client, AgentSettings settings, AgentIdentity identity, AgentRunner runner, ResourceMeter meter,
    AgentConnection connection, TimeProvider time, ILogger<HeartbeatLoop> logger) : BackgroundService
{
    private readonly Backoff _backoff = new();
    private bool _warnedEnvironment;

    /// <summary>How long the previous heartbeat took, sent with the next one.</summary>
    private double? _lastRoundTripMs;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            var wait = await BeatAsync(stoppingToken);
            try
            {
                await Task.Delay(wait, time, stoppingToken);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    /// <summary>One heartbeat; returns how long to wait before the next.</summary>
    public async Task<TimeSpan> BeatAsync(CancellationToken ct)
    {
        var workloads = runner.Current();
        var heartbeat = new AgentHeartbeat(identity.Id, identity.Version, identity.StartedAt, identity.Hostname, meter.Read(), workloads, _lastRoundTripMs);
        try
        {
            var sent = System.Diagnostics.Stopwatch.GetTimestamp();
            var answer = await client.HeartbeatAsync(heartbeat, ct);
            _lastRoundTripMs = System.Diagnostics.Stopwatch.GetElapsedTime(sent).TotalMilliseconds;
            if (!connection.Connected.IsCompleted)
                LogConnected(settings.Environment, answer.Environment, answer.EnvironmentId, identity.Id, workloads.Count);
            if (!_warnedEnvironment && !Names(answer, settings.Environment))
            {
                _warnedEnvironment = true;
                LogOtherEnvironment(settings.Environment, answer.Environment, answer.EnvironmentId);
            }
            connection.Accepted(answer);
            _backoff.Reset();
            return settings.HeartbeatInterval ?? TimeSpan.FromSeconds(answer.HeartbeatSeconds > 0 ? answer.HeartbeatSeconds : AgentGateway.HeartbeatSeconds);
        }
        catch (GatewayException e) when (e.IsConflict)
        {
            var wait = _backoff.Next();
            LogHeldByAnother(settings.Environment, identity.Id, wait.TotalSeconds);
            return wait;
        }
        catch (GatewayException e) when (e.IsTokenRefused)
        {
            var wait = _backoff.Next();
            LogTokenRefused(settings.Environment, wait.TotalSeconds);
            return wait;
        }
        catch (Exception e) when (e is GatewayException or HttpRequestException or TimeoutException or IOException or System.Text.Json.JsonException)
        {
            var wait = _backoff.Next();
            LogUnreachable(settings.Environment, e.Message, wait.TotalSeconds);
            return wait;
        }
    }

    private static bool Names(HeartbeatAnswer answer, string environment) =>
        string.Equals(answer.Environment, environment, StringComparison.OrdinalIgnoreCase)
        || (Guid.TryParse(environment, out var id) && id == answer.EnvironmentId);
}
