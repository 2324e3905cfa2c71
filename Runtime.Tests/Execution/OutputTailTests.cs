using System.Collections.Concurrent;
using Runtime.Execution.Processes;
using Xunit;

namespace Runtime.Tests.Execution;

public sealed class OutputTailTests
{
    [Fact]
    public async Task Lines_AreHandedOnInOrder_AndAFullFileIsEmptiedOnceRead()
    {
        var path = Path.GetTempFileName();
        var lines = new ConcurrentQueue<string>();
        using var stop = new CancellationTokenSource();
        var tail = new OutputTail(path, 0, lines.Enqueue, maxBytes: 1000).RunAsync(stop.Token);

        // Appended as a workload appends (O_APPEND), in pieces that split lines.
        await using (var file = new FileStream(path, FileMode.Append, FileAccess.Write, FileShare.ReadWrite))
        {
            for (var i = 0; i < 100; i++)
            {
                var bytes = System.Text.Encoding.UTF8.GetBytes($"line {i:D3} é\n");
                await file.WriteAsync(bytes.AsMemory(0, 5));
                await file.FlushAsync();
                await file.WriteAsync(bytes.AsMemory(5));
                await file.FlushAsync();
                if (i % 10 == 0)
                    await Task.Delay(60);
            }
        }
        for (var i = 0; i < 100 && lines.Count < 100; i++)
            await Task.Delay(50);
        await stop.CancelAsync();
        await tail;

        Assert.Equal(Enumerable.Range(0, 100).Select(i => $"line {i:D3} é"), lines);
        Assert.True(new FileInfo(path).Length < 1000, $"the file kept {new FileInfo(path).Length} bytes");
        File.Delete(path);
    }

    [Fact]
    public async Task AnUnterminatedLastLine_IsHandedOnWhenTheTailStops()
    {
        var path = Path.GetTempFileName();
        await File.WriteAllTextAsync(path, "first\nno newline at the end");
        var lines = new ConcurrentQueue<string>();
        using var stop = new CancellationTokenSource();
        var tail = new OutputTail(path, 0, lines.Enqueue).RunAsync(stop.Token);
        await Task.Delay(150);

        await stop.CancelAsync();
        await tail;

        Assert.Equal(["first", "no newline at the end"], lines);
        File.Delete(path);
    }
}
