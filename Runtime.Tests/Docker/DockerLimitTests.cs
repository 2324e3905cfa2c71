using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Runtime.Execution.Processes;
using Runtime.Tests.Infrastructure;
using Xunit;

namespace Runtime.Tests.Docker;

/// <summary>What a container may not do: use more memory, time or /tmp than it was given, reach the network with <c>none</c>, write outside its folders.</summary>
[Collection(DockerCollection.Name)]
public sealed class DockerLimitTests(DockerFixture docker)
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(30);

    [DockerFact]
    public async Task AllocatingPastTheMemoryLimit_EndsTheRunWithTheReasonMemoryLimit()
    {
        var spec = docker.Python("""
            chunks = []
            while True:
                chunks.append(b"x" * (8 * 1024 * 1024))
                print("allocated", len(chunks) * 8, "MiB")
            """) with { MemoryLimit = 64L * 1024 * 1024 };
        var sink = new LineSink();
        await using var workload = await docker.Executor.StartAsync(spec, sink, CancellationToken.None);

        var exit = await workload.Exited.WaitAsync(Wait);

        Assert.Equal("memory limit: the container reached its limit of 64 MiB and was killed", exit.StopReason);
        Assert.Equal(128 + Signals.SigKill, exit.ExitCode);
        Assert.DoesNotContain(sink.Lines, l => l.Text == "allocated 80 MiB");
    }

    [DockerFact]
    public async Task NetworkNone_LeavesTheContainerOnlyLoopback_SoItCannotConnectToTheHost()
    {
        // A listener of the test's on the bridge's gateway: the host as a container on the bridge would reach it.
        var gateway = await BridgeGatewayAsync();
        using var listener = new TcpListener(gateway, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        var spec = docker.Python($$"""
            import errno, os, socket
            print("interfaces", " ".join(sorted(os.listdir("/sys/class/net"))))
            try:
                socket.create_connection(("{{gateway}}", {{port}}), timeout=5)
                print("connected")
            except OSError as e:
                print("refused", errno.errorcode.get(e.errno, e.errno))
            """) with { NetworkMode = "none" };
        var sink = new LineSink();
        await using var workload = await docker.Executor.StartAsync(spec, sink, CancellationToken.None);

        var exit = await workload.Exited.WaitAsync(Wait);

        Assert.Equal(0, exit.ExitCode);
        Assert.Contains(sink.Lines, l => l.Text == "interfaces lo");
        Assert.Contains(sink.Lines, l => l.Text == "refused ENETUNREACH");
        Assert.False(listener.Pending());
    }

    [DockerFact]
    public async Task TheTmpfsSize_Holds_WritingMoreToTmpFails()
    {
        var spec = docker.Python("""
            import errno
            with open("/tmp/small", "wb") as f:
                f.write(b"x" * (1024 * 1024))
            print("wrote 1 MiB")
            try:
                with open("/tmp/big", "wb") as f:
                    f.write(b"x" * (3 * 1024 * 1024))
                print("wrote 3 MiB more")
            except OSError as e:
                print("failed", errno.errorcode[e.errno])
            """) with { TmpfsSize = 2L * 1024 * 1024 };
        var sink = new LineSink();
        await using var workload = await docker.Executor.StartAsync(spec, sink, CancellationToken.None);

        await workload.Exited.WaitAsync(Wait);

        Assert.Equal(["wrote 1 MiB", "failed ENOSPC"], sink.Lines.Where(l => l.Stream == "stdout").Select(l => l.Text));
    }

    [DockerFact]
    public async Task TheRootFilesystem_IsReadOnly_OnlyTheWorkspaceAndTmpAreWritable()
    {
        var spec = docker.Python("""
            import errno
            for path in ["/etc/runtime-test", "/root/runtime-test", "/usr/lib/runtime-test", "written-here", "/tmp/runtime-test"]:
                try:
                    with open(path, "w") as f:
                        f.write("x")
                    print("wrote", path)
                except OSError as e:
                    print("refused", path, errno.errorcode[e.errno])
            """);
        var sink = new LineSink();
        await using var workload = await docker.Executor.StartAsync(spec, sink, CancellationToken.None);

        await workload.Exited.WaitAsync(Wait);

        Assert.Equal(
            ["refused /etc/runtime-test EROFS", "refused /root/runtime-test EROFS", "refused /usr/lib/runtime-test EROFS", "wrote written-here", "wrote /tmp/runtime-test"],
            sink.Lines.Select(l => l.Text));
        Assert.True(File.Exists(Path.Combine(spec.WorkingDirectory, "written-here")), "the workspace is the host's folder");
    }

    [DockerFact]
    public async Task TheTimeLimit_StopsTheRunWithTheReasonTimeLimit()
    {
        var spec = docker.Python("import time\nprint('started')\ntime.sleep(3600)\n") with { TimeLimit = TimeSpan.FromSeconds(1) };
        var clock = Stopwatch.StartNew();
        await using var workload = await docker.Executor.StartAsync(spec, new LineSink(), CancellationToken.None);

        var exit = await workload.Exited.WaitAsync(Wait);

        Assert.Equal("time limit", exit.StopReason);
        Assert.Equal(128 + Signals.SigTerm, exit.ExitCode);
        Assert.InRange(clock.Elapsed, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(10));
    }

    private async Task<IPAddress> BridgeGatewayAsync()
    {
        // Docker 20.10 names no gateway for its default bridge: it is the subnet's first address, docker0's own.
        var bridge = await docker.Engine.Client.Networks.InspectNetworkAsync("bridge");
        var config = bridge.IPAM.Config.First(c => c.Subnet.Contains('.'));
        if (!string.IsNullOrEmpty(config.Gateway))
            return IPAddress.Parse(config.Gateway);
        var network = IPAddress.Parse(config.Subnet.Split('/')[0]).GetAddressBytes();
        network[3]++;
        return new IPAddress(network);
    }
}
