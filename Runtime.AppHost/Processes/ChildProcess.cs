using Runtime.Execution.Processes;
using System.Diagnostics;

namespace Runtime.AppHost.Processes;

/// <summary>
/// A Runtime host (silo, Api) run as a child process in its own session, its output prefixed with
/// its name, stopped with SIGTERM and, past a grace period, SIGKILL.
/// </summary>
public sealed class ChildProcess : IAsyncDisposable
{
    private readonly Process _process;

    private ChildProcess(string name, Process process)
    {
        Name = name;
        _process = process;
    }

    public string Name { get; }

    public int Pid => _process.Id;

    /// <summary>Completes with the exit code when the process ends, for whatever reason.</summary>
    public Task<int> Exited { get; private init; } = Task.FromResult(0);

    /// <summary>
    /// Starts <paramref name="command"/> under <c>setsid</c>, so that a Ctrl+C in the terminal reaches only
    /// the AppHost, which then stops its children in order.
    /// </summary>
    public static ChildProcess Start(string name, IReadOnlyList<string> command, IReadOnlyDictionary<string, string> environment, ConsoleOutput output)
    {
        var info = new ProcessStartInfo("setsid") { RedirectStandardOutput = true, RedirectStandardError = true, RedirectStandardInput = true };
        foreach (var argument in command)
            info.ArgumentList.Add(argument);
        foreach (var (key, value) in environment)
            info.Environment[key] = value;

        var process = new Process { StartInfo = info, EnableRaisingEvents = true };
        var exited = new TaskCompletionSource<int>(TaskCreationOptions.RunContinuationsAsynchronously);
        process.OutputDataReceived += (_, e) => { if (e.Data is not null) output.Line(name, e.Data); };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) output.Line(name, e.Data); };
        process.Exited += (_, _) =>
        {
            // Exited fires before the redirected streams are drained; wait for them so no last line is lost.
            process.WaitForExit();
            exited.TrySetResult(process.ExitCode);
        };
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return new ChildProcess(name, process) { Exited = exited.Task };
    }

    /// <summary>SIGTERM (the host's graceful shutdown), then SIGKILL of the whole tree after <paramref name="grace"/>.</summary>
    public async Task StopAsync(TimeSpan grace)
    {
        if (Exited.IsCompleted)
            return;
        Signals.Send(_process.Id, Signals.SigTerm);
        if (await Task.WhenAny(Exited, Task.Delay(grace)) == Exited)
            return;
        _process.Kill(entireProcessTree: true);
        await Exited;
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync(TimeSpan.FromSeconds(10));
        _process.Dispose();
    }
}
