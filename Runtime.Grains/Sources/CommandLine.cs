using System.Diagnostics;
using System.Text;

namespace Runtime.Grains.Sources;

/// <summary>The outcome of a finished command.</summary>
public sealed record CommandResult(int ExitCode, string StandardOutput, string StandardError);

/// <summary>A command that failed; <see cref="Result"/> holds its output for diagnosis.</summary>
public sealed class CommandException(string message, CommandResult result) : Exception(message)
{
    public CommandResult Result { get; } = result;
}

/// <summary>Runs short commands (git, ssh-keygen) as argument vectors, never through a shell.</summary>
internal static class CommandLine
{
    public static async Task<CommandResult> RunAsync(
        IReadOnlyList<string> command,
        IReadOnlyDictionary<string, string>? environment,
        string? workingDirectory,
        TimeSpan timeout,
        CancellationToken cancellationToken,
        bool throwOnFailure = true,
        Func<Stream, Task>? readStandardOutput = null)
    {
        var info = new ProcessStartInfo(command[0])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            WorkingDirectory = workingDirectory ?? "",
        };
        foreach (var argument in command.Skip(1))
            info.ArgumentList.Add(argument);
        foreach (var (key, value) in environment ?? new Dictionary<string, string>())
            info.Environment[key] = value;

        using var process = Process.Start(info) ?? throw new InvalidOperationException($"Could not start {command[0]}.");
        process.StandardInput.Close();
        using var timeoutSource = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeoutSource.CancelAfter(timeout);
        var stderr = process.StandardError.ReadToEndAsync(timeoutSource.Token);
        Task<string> stdout;
        Task consumer;
        if (readStandardOutput is null)
            consumer = stdout = process.StandardOutput.ReadToEndAsync(timeoutSource.Token);
        else
        {
            consumer = readStandardOutput(process.StandardOutput.BaseStream);
            stdout = Task.FromResult("");
        }
        try
        {
            await process.WaitForExitAsync(timeoutSource.Token);
            await Task.WhenAll(consumer, stderr);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            if (cancellationToken.IsCancellationRequested)
                throw;
            throw new CommandException($"`{command[0]}` did not finish within {timeout.TotalSeconds:0} s.", new CommandResult(-1, "", ""));
        }

        var result = new CommandResult(process.ExitCode, await stdout, await stderr);
        if (throwOnFailure && result.ExitCode != 0)
            throw new CommandException($"`{command[0]} {Describe(command)}` failed with exit code {result.ExitCode}: {Tail(result.StandardError)}", result);
        return result;
    }

    /// <summary>The last lines of a command's error output, for messages.</summary>
    public static string Tail(string text, int lines = 5) =>
        string.Join('\n', text.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).TakeLast(lines));

    private static string Describe(IReadOnlyList<string> command) =>
        new StringBuilder().AppendJoin(' ', command.Skip(1).Take(3)).ToString();
}
