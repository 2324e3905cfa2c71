using System.Runtime.InteropServices;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Runtime.ServiceDefaults;

/// <summary>
/// When started by the AppHost (<c>RUNTIME_PARENT_PID</c> set), stops this host once that parent is
/// gone, so that killing the AppHost, even with SIGKILL, leaves no silo or Api behind.
/// </summary>
internal sealed partial class ParentProcessWatcher(IHostApplicationLifetime lifetime, ILogger<ParentProcessWatcher> logger) : BackgroundService
{
    public const string Variable = "RUNTIME_PARENT_PID";

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (!int.TryParse(Environment.GetEnvironmentVariable(Variable), out var parent) || OperatingSystem.IsWindows())
            return;
        using var timer = new PeriodicTimer(TimeSpan.FromMilliseconds(500));
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken))
            {
                // An orphan is adopted by init or a subreaper, so its parent id changes; a pid can be
                // reused, a parent relationship cannot.
                if (getppid() != parent)
                {
                    LogParentGone(parent);
                    lifetime.StopApplication();
                    return;
                }
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    [DllImport("libc", SetLastError = false)]
    private static extern int getppid();

    [LoggerMessage(Level = LogLevel.Warning, Message = "Parent process {Pid} is gone; shutting down")]
    private partial void LogParentGone(int pid);
}
