using System.Diagnostics;

namespace Runtime.AppHost.Postgres;

/// <summary>Starts a PostgreSQL program with its output sent line by line to a callback, or runs one to completion.</summary>
internal static class ProcessRun
{
    public static Process Start(IReadOnlyList<string> command, Action<string>? output)
    {
        var info = new ProcessStartInfo(command[0]) { RedirectStandardOutput = true, RedirectStandardError = true, RedirectStandardInput = true };
        foreach (var argument in command.Skip(1))
            info.ArgumentList.Add(argument);
        var process = new Process { StartInfo = info, EnableRaisingEvents = true };
        process.OutputDataReceived += (_, e) => { if (e.Data is not null) output?.Invoke(e.Data); };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) output?.Invoke(e.Data); };
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return process;
    }

    /// <summary>Runs <paramref name="command"/>; a non-zero exit is a <see cref="PostgresException"/> with its last lines.</summary>
    public static async Task RunAsync(IReadOnlyList<string> command, CancellationToken ct)
    {
        var lines = new List<string>();
        using var process = Start(command, line => { lock (lines) lines.Add(line); });
        await process.WaitForExitAsync(ct);
        if (process.ExitCode != 0)
            throw new PostgresException($"`{string.Join(' ', command)}` failed with exit code {process.ExitCode}: {string.Join(Environment.NewLine, lines.TakeLast(20))}");
    }
}
