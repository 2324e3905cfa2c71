using System.Net;
using Microsoft.Extensions.Logging.Abstractions;
using Runtime.Agent.Logs;
using Runtime.Execution.Logs;
using Xunit;

namespace Runtime.Tests.Agent;

public sealed class LogUploaderTests
{
    private static LogLine Line(int i) => new("project/sales", "stdout", DateTimeOffset.UtcNow, $"line {i}");

    [Fact]
    public async Task Lines_are_shipped_in_order_in_batches_of_at_most_a_thousand()
    {
        await using var gateway = await FakeGateway.StartAsync();
        using var client = gateway.Client();
        var uploader = new LogUploader(client, TimeProvider.System, NullLogger<LogUploader>.Instance);
        for (var i = 0; i < 2500; i++)
            uploader.Write(Line(i));

        Assert.Equal(1000, await uploader.ShipOnceAsync(CancellationToken.None));
        Assert.Equal(1000, await uploader.ShipOnceAsync(CancellationToken.None));
        Assert.Equal(500, await uploader.ShipOnceAsync(CancellationToken.None));
        Assert.Equal(0, await uploader.ShipOnceAsync(CancellationToken.None));

        Assert.Equal([1000, 1000, 500], gateway.Batches.Select(b => b.Count));
        Assert.Equal(Enumerable.Range(0, 2500).Select(i => $"line {i}"), gateway.Batches.SelectMany(b => b).Select(l => l.Line));
        Assert.All(gateway.Batches.SelectMany(b => b), l => Assert.Equal("project/sales", l.WorkloadId));
    }

    [Fact]
    public async Task A_failed_batch_is_kept_and_sent_again_without_losing_or_reordering_lines()
    {
        await using var gateway = await FakeGateway.StartAsync();
        using var client = gateway.Client();
        var uploader = new LogUploader(client, TimeProvider.System, NullLogger<LogUploader>.Instance);
        for (var i = 0; i < 10; i++)
            uploader.Write(Line(i));

        gateway.LogStatus = HttpStatusCode.ServiceUnavailable;
        await Assert.ThrowsAsync<Runtime.Agent.Gateway.GatewayException>(() => uploader.ShipOnceAsync(CancellationToken.None));
        Assert.Equal(10, uploader.Pending);

        for (var i = 10; i < 15; i++)
            uploader.Write(Line(i));
        gateway.LogStatus = HttpStatusCode.OK;
        Assert.Equal(15, await uploader.ShipOnceAsync(CancellationToken.None));

        Assert.Equal(Enumerable.Range(0, 15).Select(i => $"line {i}"), gateway.Batches.Single().Select(l => l.Line));
        Assert.Equal(0, uploader.Pending);
    }

    [Fact]
    public async Task A_batch_the_Api_refuses_for_good_is_dropped_so_later_lines_still_go()
    {
        await using var gateway = await FakeGateway.StartAsync();
        using var client = gateway.Client();
        var uploader = new LogUploader(client, TimeProvider.System, NullLogger<LogUploader>.Instance);
        uploader.Write(Line(0));
        gateway.LogStatus = HttpStatusCode.BadRequest;
        Assert.Equal(1, await uploader.ShipOnceAsync(CancellationToken.None));
        Assert.Equal(0, uploader.Pending);
    }

    [Fact]
    public async Task Past_its_capacity_the_queue_drops_the_oldest_lines()
    {
        await using var gateway = await FakeGateway.StartAsync();
        using var client = gateway.Client();
        var uploader = new LogUploader(client, TimeProvider.System, NullLogger<LogUploader>.Instance);
        for (var i = 0; i < LogUploader.Capacity + 5; i++)
            uploader.Write(Line(i));

        Assert.Equal(LogUploader.Capacity, uploader.Pending);
        Assert.Equal(5, uploader.Dropped);
        await uploader.ShipOnceAsync(CancellationToken.None);
        Assert.Equal("line 5", gateway.Batches.Single()[0].Line);
    }

    [Fact]
    public async Task The_running_uploader_ships_a_single_line_without_waiting_for_a_full_batch_and_flush_waits_for_it()
    {
        await using var gateway = await FakeGateway.StartAsync();
        using var client = gateway.Client();
        var uploader = new LogUploader(client, TimeProvider.System, NullLogger<LogUploader>.Instance);
        await uploader.StartAsync(CancellationToken.None);
        try
        {
            var taken = gateway.BatchTaken.Task;
            uploader.Write(Line(1));
            await taken.WaitAsync(TimeSpan.FromSeconds(5));
            Assert.Equal("line 1", gateway.Batches.Single().Single().Line);

            for (var i = 2; i < 50; i++)
                uploader.Write(Line(i));
            Assert.True(await uploader.FlushAsync(TimeSpan.FromSeconds(5)));
            Assert.Equal(49, gateway.Batches.Sum(b => b.Count));
            Assert.Equal(0, uploader.Pending);
        }
        finally
        {
            await uploader.StopAsync(CancellationToken.None);
        }
    }

    [Fact]
    public async Task Flush_gives_up_after_its_timeout_while_the_Api_refuses_lines()
    {
        await using var gateway = await FakeGateway.StartAsync();
        using var client = gateway.Client();
        var uploader = new LogUploader(client, TimeProvider.System, NullLogger<LogUploader>.Instance);
        gateway.LogStatus = HttpStatusCode.InternalServerError;
        await uploader.StartAsync(CancellationToken.None);
        uploader.Write(Line(1));

        Assert.False(await uploader.FlushAsync(TimeSpan.FromMilliseconds(300)));
        Assert.Equal(1, uploader.Pending);
        using var shutdown = new CancellationTokenSource(TimeSpan.FromMilliseconds(300));
        await uploader.StopAsync(shutdown.Token);
    }
}
