using System.Diagnostics;

namespace Runtime.Execution.Processes;

/// <summary>
/// A Runtime host (silo, Api, AppHost) run as a child process in its own session by the tests and the
/// benchmarks, its output prefixed with its name, stopped with SIGTERM and, past a grace period, SIGKILL.
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
    /// Starts <paramref name="command"/> under <c>setsid</c>: a session and process group of its own, so that
    /// a Ctrl+C in the terminal reaches only the process that started it, which stops it in its turn.
    /// </summary>
    public static ChildProcess Start(string name, IReadOnlyList<string> command, IReadOnlyDictionary<string, string> environment, ConsoleOutput output, string? workingDirectory = null)
    {
        var info = new ProcessStartInfo("setsid") { RedirectStandardOutput = true, RedirectStandardError = true, RedirectStandardInput = true };
        if (workingDirectory is not null)
            info.WorkingDirectory = workingDirectory;
        foreach (var argument in command)
            info.ArgumentList.Add(argument);
        foreach (var (key, value) in environment)
            info.Environment[key] = value;

        var process = new Process { StartInfo = info, EnableRaisingEvents = true };
        var exitCode = new TaskCompletionSource<int>(TaskCreationOptions.RunContinuationsAsynchronously);
        process.Exited += (_, _) => exitCode.TrySetResult(process.ExitCode);
        process.Start();
        process.StandardInput.Close();
        // Each stream is read on a thread of its own: a busy thread pool in this process must never
        // leave the child blocked on a full pipe (and deaf to the signal that would stop it).
        var streams = new[] { Forward(name, "stdout", process.StandardOutput, output), Forward(name, "stderr", process.StandardError, output) };
        if (process.HasExited)
            exitCode.TrySetResult(process.ExitCode);
        // The exit is reported once the output is read to its end, so no last line is lost.
        var exited = Task.WhenAll(streams).ContinueWith(_ => exitCode.Task, TaskScheduler.Default).Unwrap();
        return new ChildProcess(name, process) { Exited = exited };
    }

    private static Task Forward(string name, string stream, StreamReader reader, ConsoleOutput output)
    {
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        new Thread(() =>
        {
            try
            {
                while (reader.ReadLine() is { } line)
                    output.Line(name, line);
            }
            catch (IOException)
            {
            }
            finally
            {
                done.TrySetResult();
            }
        }) { IsBackground = true, Name = $"{name} {stream}" }.Start();
        return done.Task;
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
