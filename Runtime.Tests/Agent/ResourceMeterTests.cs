using Runtime.Agent.Resources;
using Xunit;

namespace Runtime.Tests.Agent;

public sealed class ResourceMeterTests : IDisposable
{
    private readonly string _proc = Directory.CreateTempSubdirectory("runtime-proc-").FullName;

    private const string MemInfo = """
        MemTotal:       16000000 kB
        MemFree:         1000000 kB
        MemAvailable:    4000000 kB
        Buffers:          200000 kB
        """;

    public void Dispose() => Directory.Delete(_proc, recursive: true);

    [Fact]
    public void Cpu_times_count_idle_and_iowait_as_not_busy_and_leave_guest_time_out()
    {
        var times = ResourceMeter.ParseCpu("cpu  100 20 30 800 50 0 0 0 999 999\ncpu0 1 2 3 4 5 6 7 8 9 10\n");
        Assert.Equal(new ResourceMeter.CpuTimes(150, 1000), times);
    }

    [Fact]
    public void Memory_in_use_is_total_minus_available()
    {
        Assert.Equal((12_000_000L * 1024, 16_000_000L * 1024), ResourceMeter.ParseMemory(MemInfo));
        Assert.Equal((0L, 0L), ResourceMeter.ParseMemory("garbage"));
    }

    [Fact]
    public void The_cpu_share_is_measured_between_two_readings()
    {
        File.WriteAllText(Path.Combine(_proc, "meminfo"), MemInfo);
        File.WriteAllText(Path.Combine(_proc, "stat"), "cpu  100 0 100 800 0 0 0 0 0 0\n");
        var meter = new ResourceMeter(_proc, _proc);
        Assert.Equal(20, meter.ReadCpuPercent()); // since boot

        File.WriteAllText(Path.Combine(_proc, "stat"), "cpu  175 0 100 825 0 0 0 0 0 0\n");
        var usage = meter.Read();

        Assert.Equal(75, usage.CpuPercent);
        Assert.Equal(12_000_000L * 1024, usage.MemoryUsedBytes);
        Assert.Equal(16_000_000L * 1024, usage.MemoryTotalBytes);
        Assert.True(usage.DiskTotalBytes > 0 && usage.DiskFreeBytes <= usage.DiskTotalBytes);
    }

    [Fact]
    public void A_machine_without_proc_reads_as_zeros()
    {
        var usage = new ResourceMeter(_proc, Path.Combine(_proc, "missing")).Read();
        Assert.Equal((0d, 0L, 0L), (usage.CpuPercent, usage.MemoryUsedBytes, usage.MemoryTotalBytes));
    }

    [Fact]
    public void The_real_proc_reads_as_plausible_numbers()
    {
        var usage = new ResourceMeter(Path.GetTempPath()).Read();
        Assert.InRange(usage.CpuPercent, 0, 100);
        Assert.InRange(usage.MemoryUsedBytes, 1, usage.MemoryTotalBytes);
    }
}
