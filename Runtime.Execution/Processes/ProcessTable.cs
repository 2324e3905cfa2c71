using System.Globalization;

namespace Runtime.Execution.Processes;

/// <summary>What <c>/proc</c> says about processes: when one started (to tell it from a later one with the same pid) and a group's memory.</summary>
public static class ProcessTable
{
    /// <summary>The process's start time in clock ticks since boot, or null when there is no such process (or only its zombie).</summary>
    public static long? StartTime(int pid)
    {
        var fields = StatFields(pid);
        // A zombie has exited; it only waits for a parent to collect its status.
        return fields is null || fields[0] == "Z" ? null : long.Parse(fields[19], CultureInfo.InvariantCulture);
    }

    /// <summary>Resident memory, in bytes, of every process in process group <paramref name="groupId"/>.</summary>
    public static long GroupResidentBytes(int groupId)
    {
        long total = 0;
        foreach (var directory in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(directory), NumberStyles.None, CultureInfo.InvariantCulture, out var pid))
                continue;
            var fields = StatFields(pid);
            // Field 5 (index 2 after the name) is the process group; field 24 (index 21) the resident pages.
            if (fields is not null && fields[2] == groupId.ToString(CultureInfo.InvariantCulture))
                total += long.Parse(fields[21], CultureInfo.InvariantCulture) * Environment.SystemPageSize;
        }
        return total;
    }

    /// <summary>CPU time (user and system) used so far by every process in group <paramref name="groupId"/>, in clock ticks (<see cref="TicksPerSecond"/>).</summary>
    public static long GroupCpuTicks(int groupId)
    {
        long total = 0;
        foreach (var directory in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(directory), NumberStyles.None, CultureInfo.InvariantCulture, out var pid))
                continue;
            var fields = StatFields(pid);
            // Fields 14 and 15 (indexes 11 and 12 after the name): utime and stime.
            if (fields is not null && fields[2] == groupId.ToString(CultureInfo.InvariantCulture))
                total += long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture);
        }
        return total;
    }

    /// <summary>The clock ticks per second that <c>/proc</c> counts CPU time and start times in.</summary>
    public static long TicksPerSecond { get; } = sysconf(ScClkTck) is > 0 and var ticks ? ticks : 100;

    private const int ScClkTck = 2;

    [System.Runtime.InteropServices.DllImport("libc")]
    private static extern long sysconf(int name);

    // The fields after "pid (comm)", which may itself hold spaces and parentheses.
    private static string[]? StatFields(int pid)
    {
        string stat;
        try
        {
            stat = File.ReadAllText($"/proc/{pid}/stat");
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException or IOException)
        {
            return null;
        }
        var end = stat.LastIndexOf(')');
        return end < 0 ? null : stat[(end + 2)..].Split(' ');
    }
}
