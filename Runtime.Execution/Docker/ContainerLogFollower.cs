using Docker.DotNet;
using Docker.DotNet.Models;
using Microsoft.Extensions.Logging;

namespace Runtime.Execution.Docker;

/// <summary>
/// Follows one container's log into a <see cref="ContainerLogReader"/>: the followed stream while it runs, then,
/// once it has ended, one more read from the last line seen for what the followed stream missed at its end.
/// </summary>
internal sealed partial class ContainerLogFollower(IContainerOperations containers, string containerId, string workloadId, ContainerLogReader reader, ILogger logger)
{
    private readonly CancellationTokenSource _following = new();
    private DateTimeOffset? _since;
    private Task _followed = Task.CompletedTask;

    /// <summary>Follows the lines logged from <paramref name="since"/> on, or all of them.</summary>
    public void Start(DateTimeOffset? since)
    {
        _since = since;
        _followed = ReadAsync(since, follow: true, stream => reader.ReadAsync(stream, _following.Token), _following.Token);
    }

    /// <summary>Once the container has ended: lets the stream drain for up to <paramref name="drain"/>, reads what it missed, and hands on the last unterminated lines.</summary>
    public async Task FinishAsync(TimeSpan drain)
    {
        if (await Task.WhenAny(_followed, Task.Delay(drain)) != _followed)
            await _following.CancelAsync();
        await _followed;
        using (var timeout = new CancellationTokenSource(drain))
            await ReadAsync(reader.LastLogged ?? _since, follow: false, stream => reader.CatchUpAsync(stream, timeout.Token), timeout.Token);
        reader.Complete();
        _following.Dispose();
    }

    private async Task ReadAsync(DateTimeOffset? since, bool follow, Func<Stream, Task> read, CancellationToken ct)
    {
        try
        {
            var parameters = new ContainerLogsParameters
            {
                ShowStdout = true,
                ShowStderr = true,
                Follow = follow,
                Timestamps = true,
                Since = since is { } at ? DockerTime.Since(at) : null,
            };
            // The raw stream, demultiplexed by the reader itself: it needs the frames' bounds, where Docker's timestamps are.
#pragma warning disable CS0618
            await using var stream = await containers.GetContainerLogsAsync(containerId, parameters, ct);
#pragma warning restore CS0618
            await using var abort = ct.Register(stream.Dispose);
            await read(stream);
        }
        catch (Exception e) when (ct.IsCancellationRequested && e is OperationCanceledException or IOException or ObjectDisposedException)
        {
            // Given up after the container ended: what was read is kept.
        }
        catch (DockerApiException e) when (e.StatusCode is System.Net.HttpStatusCode.NotFound or System.Net.HttpStatusCode.Conflict)
        {
            // Removed, or being removed ("removal in progress"): there is nothing more to read.
        }
        catch (Exception e) when (e is DockerApiException || DockerEngine.IsUnreachable(e))
        {
            LogLogsLost(workloadId, containerId[..Math.Min(12, containerId.Length)], e.Message);
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Workload {WorkloadId}: lost the log stream of container {Container}: {Reason}")]
    private partial void LogLogsLost(string workloadId, string container, string reason);
}
