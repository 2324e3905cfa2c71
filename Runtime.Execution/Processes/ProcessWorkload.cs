using System.Diagnostics;
using Runtime.Execution.Logs;

namespace Runtime.Execution.Processes;

/// <summary>
/// A running workload: a child process in its own session and process group, so that stopping it
/// stops everything it started. Lines of stdout and stderr go to the sink as they are printed, with
/// the workload's secrets masked.
/// </summary>
public sealed class ProcessWorkload : IAsyncDisposable
{
    private readonly Process _process;
    private readonly ProcessSpec _spec;
    private readonly TaskCompletionSource<ProcessExit> _exited = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly CancellationTokenSource _timeLimit = new();
    private string? _stopReason;

    private ProcessWorkload(Process process, ProcessSpec spec)
    {
        _process = process;
        _spec = spec;
    }

    /// <summary>The process id, which is also its process group and session id.</summary>
    public int Pid => _process.Id;

    public DateTimeOffset StartedAt { get; private init; }

    /// <summary>Completes when the process has exited and its output has been read to the end.</summary>
    public Task<ProcessExit> Exited => _exited.Task;

    public static ProcessWorkload Start(ProcessSpec spec, ILogSink sink)
    {
        spec.Validate();
        var info = new ProcessStartInfo("setsid")
        {
            WorkingDirectory = spec.WorkingDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
        };
        foreach (var argument in spec.Command)
            info.ArgumentList.Add(argument);
        foreach (var (key, value) in spec.Environment)
            info.Environment[key] = value;

        var process = new Process { StartInfo = info, EnableRaisingEvents = true };
        var secrets = (spec.Secrets ?? []).Where(s => s.Length > 0).OrderByDescending(s => s.Length).ToArray();
        void Capture(string stream, string? text)
        {
            if (text is null)
                return;
            foreach (var secret in secrets)
                text = text.Replace(secret, "***", StringComparison.Ordinal);
            sink.Write(new LogLine(spec.Id, stream, DateTimeOffset.UtcNow, text));
        }
        process.OutputDataReceived += (_, e) => Capture("stdout", e.Data);
        process.ErrorDataReceived += (_, e) => Capture("stderr", e.Data);
        process.Start();
        process.StandardInput.Close();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();

        var workload = new ProcessWorkload(process, spec) { StartedAt = DateTimeOffset.UtcNow };
        process.Exited += (_, _) =>
        {
            process.WaitForExit(); // drains the redirected streams
            workload._timeLimit.Cancel();
            workload._exited.TrySetResult(new ProcessExit(process.ExitCode, workload._stopReason));
        };
        if (process.HasExited)
            workload._exited.TrySetResult(new ProcessExit(process.ExitCode, null));
        if (spec.TimeLimit is { } limit)
            _ = workload.StopAfterAsync(limit);
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

    public async ValueTask DisposeAsync()
    {
        await StopAsync();
        _timeLimit.Dispose();
        _process.Dispose();
    }

    private async Task StopAfterAsync(TimeSpan limit)
    {
        try
        {
            await Task.Delay(limit, _timeLimit.Token);
            await StopAsync("time limit");
        }
        catch (OperationCanceledException)
        {
        }
    }
}
