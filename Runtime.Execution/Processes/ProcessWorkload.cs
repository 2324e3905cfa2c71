using System.Diagnostics;
using Runtime.Execution.Logs;
using Runtime.Execution.Workloads;

namespace Runtime.Execution.Processes;

/// <summary>
/// A running workload: a child process in its own session and process group, so that stopping it
/// stops everything it started. Its stdout and stderr go to files (not pipes), so it keeps running
/// and printing when the agent that started it dies, and another agent can <see cref="Adopt"/> it;
/// lines are followed from the files and handed to the sink with the workload's secrets masked.
/// </summary>
public sealed class ProcessWorkload : IRunningWorkload
{
    // Redirects inside the new session, then becomes the command: the pid stays the workload's.
    private const string Launcher = "out=$1; err=$2; shift 2; exec \"$@\" < /dev/null >> \"$out\" 2>> \"$err\"";
    private static readonly TimeSpan MemoryCheck = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan CpuSample = TimeSpan.FromMilliseconds(500);

    private readonly ProcessSpec _spec;
    private readonly Process? _process;
    private readonly TaskCompletionSource<ProcessExit> _exited = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly CancellationTokenSource _watching = new();
    private readonly bool _ownsOutputDirectory;
    private string? _stopReason;

    private ProcessWorkload(ProcessSpec spec, Process? process, int pid, string outputDirectory, bool ownsOutputDirectory)
    {
        _spec = spec;
        _process = process;
        Pid = pid;
        OutputDirectory = outputDirectory;
        _ownsOutputDirectory = ownsOutputDirectory;
        StartTime = ProcessTable.StartTime(pid) ?? 0;
    }

    /// <summary>The process id, which is also its process group and session id.</summary>
    public int Pid { get; }

    /// <summary>The process's start time in ticks since boot: with the pid, what identifies it for a later <see cref="Adopt"/>.</summary>
    public long StartTime { get; }

    public string OutputDirectory { get; }

    public WorkloadHandle Handle => WorkloadHandle.ForProcess(Pid, StartTime);

    /// <summary>Completes when the process has exited and its output has been read to the end.</summary>
    public Task<ProcessExit> Exited => _exited.Task;

    public static ProcessWorkload Start(ProcessSpec spec, ILogSink sink)
    {
        spec.Validate();
        var owns = spec.OutputDirectory is null;
        var output = spec.OutputDirectory ?? Directory.CreateTempSubdirectory("runtime-output-").FullName;
        Directory.CreateDirectory(output);
        var info = new ProcessStartInfo("setsid") { WorkingDirectory = spec.WorkingDirectory, UseShellExecute = false };
        foreach (var argument in (string[])["/bin/sh", "-c", Launcher, "sh", Path.Combine(output, "stdout.log"), Path.Combine(output, "stderr.log")])
            info.ArgumentList.Add(argument);
        foreach (var argument in spec.Command)
            info.ArgumentList.Add(argument);
        foreach (var (key, value) in spec.Environment)
            info.Environment[key] = value;
        var offsets = (Length(output, "stdout.log"), Length(output, "stderr.log"));

        var process = new Process { StartInfo = info, EnableRaisingEvents = true };
        process.Start();
        var workload = new ProcessWorkload(spec, process, process.Id, output, owns);
        var exitCode = new TaskCompletionSource<int>(TaskCreationOptions.RunContinuationsAsynchronously);
        process.Exited += (_, _) => exitCode.TrySetResult(process.ExitCode);
        if (process.HasExited)
            exitCode.TrySetResult(process.ExitCode);
        workload.Follow(sink, offsets, exitCode.Task);
        return workload;
    }

    /// <summary>
    /// Takes over a workload another agent started, if process <paramref name="pid"/> still runs and is the
    /// one that started at <paramref name="startTime"/>; output is followed from where its files end now.
    /// Null when it is gone.
    /// </summary>
    public static ProcessWorkload? Adopt(ProcessSpec spec, int pid, long startTime, ILogSink sink)
    {
        if (spec.OutputDirectory is null || ProcessTable.StartTime(pid) != startTime)
            return null;
        var workload = new ProcessWorkload(spec, null, pid, spec.OutputDirectory, ownsOutputDirectory: false);
        var offsets = (Length(spec.OutputDirectory, "stdout.log"), Length(spec.OutputDirectory, "stderr.log"));
        workload.Follow(sink, offsets, workload.WaitForStrangerAsync());
        return workload;
    }

    /// <summary>SIGTERM to the whole group, SIGKILL to what is left after the grace period; returns how it ended.</summary>
    public async Task<ProcessExit> StopAsync(string reason = "stopped", TimeSpan? grace = null)
    {
        _stopReason ??= reason;
        if (!Exited.IsCompleted)
        {
            Signals.SendToGroup(Pid, Signals.SigTerm);
            await Task.WhenAny(Exited, Task.Delay(grace ?? _spec.StopGrace ?? ProcessSpec.DefaultStopGrace));
        }
        // The leader may be gone while children it started still run: the group is what must end.
        if (Signals.GroupIsAlive(Pid))
            Signals.SendToGroup(Pid, Signals.SigKill);
        return await Exited;
    }

    /// <summary>The process group's CPU over half a second and its resident memory now; null once it has exited.</summary>
    public async Task<WorkloadStats?> StatsAsync(CancellationToken ct)
    {
        if (Exited.IsCompleted)
            return null;
        var clock = Stopwatch.StartNew();
        var before = ProcessTable.GroupCpuTicks(Pid);
        await Task.WhenAny(Exited, Task.Delay(CpuSample, ct));
        ct.ThrowIfCancellationRequested();
        var used = ProcessTable.GroupCpuTicks(Pid) - before;
        var memory = ProcessTable.GroupResidentBytes(Pid);
        if (Exited.IsCompleted)
            return null;
        var percent = Math.Max(0, used) / (double)ProcessTable.TicksPerSecond / clock.Elapsed.TotalSeconds * 100;
        return new WorkloadStats(percent, memory, _spec.MemoryLimit);
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync();
        _watching.Dispose();
        _process?.Dispose();
        if (_ownsOutputDirectory)
            Directory.Delete(OutputDirectory, recursive: true);
    }

    private void Follow(ILogSink sink, (long Stdout, long Stderr) offsets, Task<int> exitCode)
    {
        var mask = new SecretMask(_spec.Secrets);
        void Capture(string stream, string text) => sink.Write(new LogLine(_spec.Id, stream, DateTimeOffset.UtcNow, mask.Apply(text)));
        var stop = _watching.Token;
        var tails = Task.WhenAll(
            new OutputTail(Path.Combine(OutputDirectory, "stdout.log"), offsets.Stdout, line => Capture("stdout", line)).RunAsync(stop),
            new OutputTail(Path.Combine(OutputDirectory, "stderr.log"), offsets.Stderr, line => Capture("stderr", line)).RunAsync(stop));
        _ = FinishAsync(exitCode, tails);
        if (_spec.TimeLimit is { } limit)
            _ = StopAfterAsync(limit);
        if (_spec.MemoryLimit is { } bytes)
            _ = WatchMemoryAsync(bytes);
    }

    // Once the process has exited, the tails read the files to the end before the exit is reported.
    private async Task FinishAsync(Task<int> exitCode, Task tails)
    {
        var code = await exitCode;
        await _watching.CancelAsync();
        await tails;
        _exited.TrySetResult(new ProcessExit(code, _stopReason));
    }

    // Not our child: no exit status to wait for, so poll until the pid is gone (-1: exit code unknown).
    private async Task<int> WaitForStrangerAsync()
    {
        while (ProcessTable.StartTime(Pid) == StartTime)
            await Task.Delay(200);
        return -1;
    }

    private async Task StopAfterAsync(TimeSpan limit)
    {
        if (await Task.WhenAny(Exited, Task.Delay(limit)) != Exited)
            await StopAsync("time limit");
    }

    private async Task WatchMemoryAsync(long limit)
    {
        while (await Task.WhenAny(Exited, Task.Delay(MemoryCheck)) != Exited)
        {
            var used = ProcessTable.GroupResidentBytes(Pid);
            if (used > limit)
            {
                await StopAsync($"memory limit: the app used {used / (1024 * 1024)} MiB of {limit / (1024 * 1024)} MiB", TimeSpan.FromSeconds(2));
                return;
            }
        }
    }

    private static long Length(string directory, string file)
    {
        var info = new FileInfo(Path.Combine(directory, file));
        return info.Exists ? info.Length : 0;
    }
}
