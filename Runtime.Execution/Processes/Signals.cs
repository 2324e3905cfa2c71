using System.Runtime.InteropServices;

namespace Runtime.Execution.Processes;

/// <summary>POSIX signals to other processes; .NET's Process.Kill only sends SIGKILL.</summary>
public static class Signals
{
    public const int SigInt = 2;
    public const int SigQuit = 3;
    public const int SigKill = 9;
    public const int SigTerm = 15;

    /// <summary>Sends <paramref name="signal"/>; false when the process no longer exists.</summary>
    public static bool Send(int pid, int signal) => kill(pid, signal) == 0;

    /// <summary>Sends <paramref name="signal"/> to every process of group <paramref name="groupId"/>; false when the group is empty.</summary>
    public static bool SendToGroup(int groupId, int signal) => kill(-groupId, signal) == 0;

    /// <summary>True while any process of the group exists.</summary>
    public static bool GroupIsAlive(int groupId) => kill(-groupId, 0) == 0 || Marshal.GetLastPInvokeError() == 1;

    /// <summary>True when a process with this id exists (signal 0 checks without sending).</summary>
    public static bool IsAlive(int pid) => kill(pid, 0) == 0 || Marshal.GetLastPInvokeError() == 1; // EPERM: exists, not ours

    public static bool IsRoot => geteuid() == 0;

    [DllImport("libc", SetLastError = true)]
    private static extern int kill(int pid, int sig);

    [DllImport("libc")]
    private static extern uint geteuid();
}
