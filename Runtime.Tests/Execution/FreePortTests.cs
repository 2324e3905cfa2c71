using System.Globalization;
using Runtime.Execution.Processes;
using Xunit;

namespace Runtime.Tests.Execution;

public sealed class FreePortTests
{
    [Fact]
    public void Next_HandsOutBindablePortsBelowTheEphemeralRange_NeverTheSameTwice()
    {
        var ephemeralLow = int.Parse(File.ReadAllText("/proc/sys/net/ipv4/ip_local_port_range").Split('\t', ' ')[0], CultureInfo.InvariantCulture);

        // 300 random picks from ~17,000 ports would repeat one nine times in ten without the reservations.
        var ports = Enumerable.Range(0, 300).Select(_ => FreePort.Next()).ToList();

        Assert.Equal(ports.Count, ports.Distinct().Count());
        Assert.All(ports, p => Assert.True(File.Exists(Path.Combine(Path.GetTempPath(), "runtime-ports", p.ToString(CultureInfo.InvariantCulture)))));
        Assert.All(ports, p => Assert.InRange(p, 1024, ephemeralLow - 1));
        Assert.All(ports, p => Assert.True(FreePort.IsFree(p), $"port {p} is taken"));
    }
}
