using System.IO.Pipelines;
using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Runtime.Api.Endpoints;
using Runtime.Grains.Logs;

namespace Runtime.Tests.Api;

/// <summary>
/// <see cref="LogStream.FollowAsync"/> on an in-memory HTTP exchange (no tail), read event by event; disposing
/// it is the follower going away.
/// </summary>
internal sealed class StreamedFollow : IAsyncDisposable
{
    private readonly CancellationTokenSource _gone = new();
    private readonly Pipe _pipe = new();
    private readonly StreamReader _reader;
    private readonly Task _streaming;

    public StreamedFollow(WorkloadLogStore store, LogWakeups wakeups, string workloadId, Func<CancellationToken, Task<bool>>? ended = null)
    {
        var http = new DefaultHttpContext { RequestAborted = _gone.Token };
        http.Response.Body = _pipe.Writer.AsStream();
        _reader = new StreamReader(_pipe.Reader.AsStream());
        _streaming = Task.Run(async () =>
        {
            try
            {
                await LogStream.FollowAsync(http, store, wakeups, workloadId, 0, ended);
            }
            finally
            {
                await _pipe.Writer.CompleteAsync();
            }
        });
    }

    /// <summary>The next event: a line's text, or the name of any other event (<c>end</c>); keep-alives are skipped.</summary>
    public async Task<string> NextAsync()
    {
        // Only a guard against a hang: a line is expected within milliseconds.
        using var hang = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        string? name = null;
        while (await _reader.ReadLineAsync(hang.Token) is { } text)
        {
            if (text.StartsWith("event: ", StringComparison.Ordinal))
                name = text[7..];
            else if (text.StartsWith("data: ", StringComparison.Ordinal))
                return name == "line" ? JsonDocument.Parse(text[6..]).RootElement.GetProperty("line").GetString()! : name!;
        }
        throw new EndOfStreamException("the stream closed");
    }

    public async ValueTask DisposeAsync()
    {
        await _gone.CancelAsync();
        await _streaming;
        _reader.Dispose();
        _gone.Dispose();
    }
}
