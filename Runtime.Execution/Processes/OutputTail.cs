using System.Text;

namespace Runtime.Execution.Processes;

/// <summary>
/// Follows a file a workload appends its output to and hands on each complete line, so that the output
/// outlives the process that reads it: a new agent resumes where the file ends. Once everything in a file
/// of <paramref name="maxBytes"/> or more has been handed on, the file is emptied (the workload appends,
/// so it writes on at the new end): the log store keeps the lines, the disk does not fill up.
/// </summary>
public sealed class OutputTail(string path, long offset, Action<string> onLine, long maxBytes = OutputTail.DefaultMaxBytes)
{
    public const long DefaultMaxBytes = 64L * 1024 * 1024;

    private static readonly TimeSpan Poll = TimeSpan.FromMilliseconds(50);
    private readonly Decoder _decoder = new UTF8Encoding(false).GetDecoder();
    private readonly StringBuilder _partial = new();
    private long _offset = offset;

    /// <summary>Reads until <paramref name="stop"/> is cancelled, then reads what is left and flushes a last unterminated line.</summary>
    public async Task RunAsync(CancellationToken stop)
    {
        var buffer = new byte[64 * 1024];
        var chars = new char[Encoding.UTF8.GetMaxCharCount(buffer.Length)];
        while (true)
        {
            var stopping = stop.IsCancellationRequested;
            var read = ReadAvailable(buffer, chars);
            if (stopping)
                break;
            if (_offset >= maxBytes)
                Empty();
            if (read == 0)
            {
                try
                {
                    await Task.Delay(Poll, stop);
                }
                catch (OperationCanceledException)
                {
                }
            }
        }
        if (_partial.Length > 0)
            onLine(_partial.ToString());
        _partial.Clear();
    }

    // Only when nothing was appended since the last read; a line appended in between the check and the
    // truncation (microseconds) would be lost, which is the price of not stopping the workload.
    private void Empty()
    {
        try
        {
            using var file = new FileStream(path, FileMode.Open, FileAccess.Write, FileShare.ReadWrite | FileShare.Delete);
            if (file.Length == _offset)
            {
                file.SetLength(0);
                _offset = 0;
            }
        }
        catch (IOException)
        {
        }
    }

    private int ReadAvailable(byte[] buffer, char[] chars)
    {
        var total = 0;
        try
        {
            using var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
            if (file.Length < _offset)
                _offset = 0; // truncated
            file.Position = _offset;
            int read;
            while ((read = file.Read(buffer, 0, buffer.Length)) > 0)
            {
                total += read;
                _offset += read;
                var count = _decoder.GetChars(buffer, 0, read, chars, 0);
                for (var i = 0; i < count; i++)
                {
                    if (chars[i] == '\n')
                    {
                        var line = _partial.ToString();
                        _partial.Clear();
                        onLine(line.EndsWith('\r') ? line[..^1] : line);
                    }
                    else
                        _partial.Append(chars[i]);
                }
            }
        }
        catch (FileNotFoundException)
        {
        }
        catch (DirectoryNotFoundException)
        {
        }
        return total;
    }
}
