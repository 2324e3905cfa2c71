using System.Buffers;
using System.Buffers.Binary;
using System.Text;
using Runtime.Execution.Logs;

namespace Runtime.Execution.Docker;

/// <summary>
/// Reads a container's log stream (<c>Tty=false</c>, <c>timestamps=true</c>): frames of an 8-byte header
/// (the stream: 1 stdout, 2 stderr; then the payload's length, big-endian) and a payload that is one log
/// message with Docker's timestamp in front. Messages are joined and split into lines per stream (Docker
/// splits lines longer than 16 KiB into several messages), each line stamped with the time its first
/// message was logged and its secrets masked.
/// </summary>
/// <remarks>
/// A followed log stream may end before the last messages of a container that just exited are written
/// (seen with Docker 20.10: an unterminated last line was lost once in three runs), so once the container
/// has ended the log is read once more from the last message seen (<see cref="CatchUpAsync"/>), and only
/// what the first read had not seen is handed on. Docker's timestamps (UTC, nine fixed fractional digits)
/// sort as strings, which tells the two apart.
/// </remarks>
internal sealed class ContainerLogReader(string workloadId, SecretMask mask, ILogSink sink)
{
    private const int HeaderSize = 8;
    private readonly StreamLines _stdout = new("stdout");
    private readonly StreamLines _stderr = new("stderr");

    // The last message's timestamp, and how many messages carried exactly it.
    private string? _lastStamp;
    private int _seenAtLast;
    private int _skipAtLast;
    private bool _catchingUp;
    private bool _complete;

    /// <summary>When the last message handed on was logged; null before the first.</summary>
    public DateTimeOffset? LastLogged => _lastStamp is null ? null : DockerTime.ParseTimestamp(_lastStamp);

    /// <summary>Reads until the stream ends (the container stopped) or <paramref name="ct"/> is cancelled.</summary>
    public Task ReadAsync(Stream stream, CancellationToken ct) => ReadFramesAsync(stream, ct);

    /// <summary>Reads a log read again from <see cref="LastLogged"/> on, handing on only the messages not seen yet; every read after it does the same.</summary>
    public async Task CatchUpAsync(Stream stream, CancellationToken ct)
    {
        _catchingUp = true;
        _skipAtLast = _seenAtLast;
        await ReadFramesAsync(stream, ct);
    }

    /// <summary>Hands on the lines that never got their line break: the last words of an ended container.</summary>
    public void Complete()
    {
        if (_complete)
            return;
        _complete = true;
        Flush(_stdout);
        Flush(_stderr);
    }

    private async Task ReadFramesAsync(Stream stream, CancellationToken ct)
    {
        var header = new byte[HeaderSize];
        try
        {
            while (await ReadFullyAsync(stream, header, ct))
            {
                var length = (int)BinaryPrimitives.ReadUInt32BigEndian(header.AsSpan(4));
                var payload = ArrayPool<byte>.Shared.Rent(Math.Max(length, 1));
                try
                {
                    if (!await ReadFullyAsync(stream, payload.AsMemory(0, length), ct))
                        break;
                    // 0 stdin (not attached), 1 stdout, 2 stderr, 3 the engine's own error about the stream.
                    Message(header[0] is 2 or 3 ? _stderr : _stdout, payload.AsSpan(0, length));
                }
                finally
                {
                    ArrayPool<byte>.Shared.Return(payload);
                }
            }
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
        }
        catch (Exception e) when (e is IOException or ObjectDisposedException && ct.IsCancellationRequested)
        {
            // The stream was closed to end the read: what was read is kept.
        }
    }

    private void Message(StreamLines lines, ReadOnlySpan<byte> payload)
    {
        // "<RFC 3339 time> <message>": the time is ASCII; the message may hold any UTF-8.
        var space = payload.IndexOf((byte)' ');
        var stamp = space > 0 ? Encoding.ASCII.GetString(payload[..space]) : null;
        var at = stamp is null ? null : DockerTime.ParseTimestamp(stamp);
        if (at is null)
        {
            space = -1;
            stamp = null;
        }
        if (stamp is not null && !Track(stamp))
            return;
        var text = payload[(space + 1)..];
        var chars = ArrayPool<char>.Shared.Rent(Math.Max(lines.Decoder.GetCharCount(text, flush: false), 1));
        try
        {
            var count = lines.Decoder.GetChars(text, chars, flush: false);
            foreach (var c in chars.AsSpan(0, count))
            {
                if (lines.Partial.Length == 0 && lines.StartedAt is null)
                    lines.StartedAt = at ?? DateTimeOffset.UtcNow;
                if (c == '\n')
                    Emit(lines);
                else
                    lines.Partial.Append(c);
            }
        }
        finally
        {
            ArrayPool<char>.Shared.Return(chars);
        }
    }

    // False for a message a catch-up read had already seen; otherwise it becomes the last one seen.
    private bool Track(string stamp)
    {
        var order = _lastStamp is null ? 1 : string.CompareOrdinal(stamp, _lastStamp);
        if (_catchingUp && (order < 0 || (order == 0 && _skipAtLast-- > 0)))
            return false;
        if (order == 0)
            _seenAtLast++;
        else
        {
            _lastStamp = stamp;
            _seenAtLast = 1;
        }
        return true;
    }

    private void Emit(StreamLines lines)
    {
        var text = lines.Partial.ToString();
        sink.Write(new LogLine(workloadId, lines.Stream, lines.StartedAt ?? DateTimeOffset.UtcNow, mask.Apply(text.EndsWith('\r') ? text[..^1] : text)));
        lines.Partial.Clear();
        lines.StartedAt = null;
    }

    private void Flush(StreamLines lines)
    {
        if (lines.Partial.Length > 0)
            Emit(lines);
    }

    private static async Task<bool> ReadFullyAsync(Stream stream, Memory<byte> buffer, CancellationToken ct)
    {
        var read = 0;
        while (read < buffer.Length)
        {
            var n = await stream.ReadAsync(buffer[read..], ct);
            if (n == 0)
                return false;
            read += n;
        }
        return true;
    }

    private sealed class StreamLines(string stream)
    {
        public string Stream { get; } = stream;

        public Decoder Decoder { get; } = new UTF8Encoding(false).GetDecoder();

        public StringBuilder Partial { get; } = new();

        public DateTimeOffset? StartedAt { get; set; }
    }
}
