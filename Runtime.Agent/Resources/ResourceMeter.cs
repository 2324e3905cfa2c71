using System.Globalization;
using Runtime.Execution.Agents;

namespace Runtime.Agent.Resources;

/// <summary>
/// Measures the machine for heartbeats: CPU busy share since the last reading (from <c>/proc/stat</c>),
/// memory in use (<c>/proc/meminfo</c>: total minus available) and the data directory's disk.
/// </summary>
internal sealed class ResourceMeter(string dataDirectory, string procRoot = "/proc")
{
    private readonly Lock _gate = new();
    private CpuTimes? _last;

    /// <summary>Jiffies the CPUs spent busy, and in all, since boot.</summary>
    public readonly record struct CpuTimes(long Busy, long Total);

    public ResourceUsage Read()
    {
        var (memoryUsed, memoryTotal) = ReadMemory();
        var (diskFree, diskTotal) = ReadDisk();
        return new ResourceUsage(ReadCpuPercent(), memoryUsed, memoryTotal, diskFree, diskTotal);
    }

    /// <summary>The busy share of CPU time since the previous call (since boot on the first), 0–100.</summary>
    public double ReadCpuPercent()
    {
        var now = TryRead("stat") is { } stat ? ParseCpu(stat) : null;
        if (now is not { } current)
            return 0;
        lock (_gate)
        {
            var previous = _last ?? new CpuTimes(0, 0);
            _last = current;
            var total = current.Total - previous.Total;
            return total <= 0 ? 0 : Math.Round(Math.Clamp(100.0 * (current.Busy - previous.Busy) / total, 0, 100), 1);
        }
    }

    /// <summary>The first line of <c>/proc/stat</c> (<c>cpu user nice system idle iowait irq softirq steal …</c>); idle and iowait are not busy.</summary>
    public static CpuTimes? ParseCpu(string stat)
    {
        var line = stat.Split('\n').FirstOrDefault(l => l.StartsWith("cpu ", StringComparison.Ordinal));
        if (line is null)
            return null;
        var fields = line.Split(' ', StringSplitOptions.RemoveEmptyEntries).Skip(1).ToList();
        var values = new List<long>();
        foreach (var field in fields.Take(8)) // guest and guest_nice are already counted in user and nice
        {
            if (!long.TryParse(field, NumberStyles.None, CultureInfo.InvariantCulture, out var value))
                return null;
            values.Add(value);
        }
        if (values.Count < 4)
            return null;
        var total = values.Sum();
        var idle = values[3] + (values.Count > 4 ? values[4] : 0);
        return new CpuTimes(total - idle, total);
    }

    /// <summary>Bytes in use (MemTotal − MemAvailable) and in all, from <c>/proc/meminfo</c>; zeros when unreadable.</summary>
    public static (long Used, long Total) ParseMemory(string meminfo)
    {
        long? Kilobytes(string key)
        {
            var line = meminfo.Split('\n').FirstOrDefault(l => l.StartsWith(key + ":", StringComparison.Ordinal));
            var number = line?[(key.Length + 1)..].Trim().Split(' ')[0];
            return long.TryParse(number, NumberStyles.None, CultureInfo.InvariantCulture, out var value) ? value * 1024 : null;
        }
        var total = Kilobytes("MemTotal");
        var available = Kilobytes("MemAvailable") ?? Kilobytes("MemFree");
        return total is null || available is null ? (0, 0) : (Math.Max(0, total.Value - available.Value), total.Value);
    }

    private (long Used, long Total) ReadMemory() => TryRead("meminfo") is { } text ? ParseMemory(text) : (0, 0);

    private (long Free, long Total) ReadDisk()
    {
        try
        {
            var drive = new DriveInfo(dataDirectory);
            return (drive.AvailableFreeSpace, drive.TotalSize);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException)
        {
            return (0, 0);
        }
    }

    private string? TryRead(string name)
    {
        try
        {
            return File.ReadAllText(Path.Combine(procRoot, name));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }
}
