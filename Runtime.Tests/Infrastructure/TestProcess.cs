using Runtime.Execution.Processes;
using System.Text;

namespace Runtime.Tests.Infrastructure;

/// <summary>A child process of the test run (the test assembly in one of its modes, or a Runtime host), its output kept for assertions.</summary>
public sealed class TestProcess : IAsyncDisposable
{
    private readonly ChildProcess _child;
    private readonly StringBuilder _output;

    private TestProcess(ChildProcess child, StringBuilder output)
    {
        _child = child;
        _output = output;
    }

    public int Pid => _child.Pid;

    public Task<int> Exited => _child.Exited;

    public string Output
    {
        get
        {
            lock (_output)
                return _output.ToString();
        }
    }

    /// <summary>Starts <c>dotnet Runtime.Tests.dll &lt;arguments&gt;</c>.</summary>
    public static TestProcess Start(string name, IReadOnlyList<string> arguments, IReadOnlyDictionary<string, string> environment) =>
        StartDll(name, typeof(TestProcess).Assembly.Location, arguments, environment);

    /// <summary>Starts <c>dotnet &lt;dll&gt; &lt;arguments&gt;</c>; <paramref name="dll"/> may be a file name in the test's bin folder.</summary>
    public static TestProcess StartDll(string name, string dll, IReadOnlyList<string> arguments, IReadOnlyDictionary<string, string> environment)
    {
        var output = new StringBuilder();
        var writer = new StringBuilderWriter(output);
        var path = Path.IsPathRooted(dll) ? dll : Path.Combine(AppContext.BaseDirectory, dll);
        var child = ChildProcess.Start(name, [DotnetHost.Path, path, .. arguments], environment, new ConsoleOutput(writer));
        return new TestProcess(child, output);
    }

    /// <summary>Starts <c>dotnet &lt;arguments&gt;</c> (for example <c>run --project …</c>) in the repository's root, as a user would.</summary>
    public static TestProcess StartDotnet(string name, IReadOnlyList<string> arguments, IReadOnlyDictionary<string, string> environment)
    {
        var output = new StringBuilder();
        var child = ChildProcess.Start(name, [DotnetHost.Path, .. arguments], environment, new ConsoleOutput(new StringBuilderWriter(output)), RepositoryRoot.Path);
        return new TestProcess(child, output);
    }

    /// <summary>Waits for the process to exit on its own; fails with its output when it takes longer than <paramref name="timeout"/>.</summary>
    public async Task<int> WaitForExitAsync(TimeSpan timeout)
    {
        if (await Task.WhenAny(Exited, Task.Delay(timeout)) != Exited)
            throw new TimeoutException($"Process {Pid} did not exit within {timeout}. Output:\n{Output}");
        return await Exited;
    }

    /// <summary>Waits until a line containing <paramref name="text"/> was printed.</summary>
    public async Task WaitForOutputAsync(string text, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (!Output.Contains(text, StringComparison.Ordinal))
        {
            if (Exited.IsCompleted)
                throw new InvalidOperationException($"Process {Pid} exited with {await Exited} before printing '{text}'. Output:\n{Output}");
            if (DateTime.UtcNow > deadline)
                throw new TimeoutException($"Process {Pid} did not print '{text}' within {timeout}. Output:\n{Output}");
            await Task.Delay(50);
        }
    }

    public void Kill() => Signals.Send(Pid, Signals.SigKill);

    public void Signal(int signal) => Signals.Send(Pid, signal);

    public Task StopAsync() => _child.StopAsync(TimeSpan.FromSeconds(10));

    public ValueTask DisposeAsync() => _child.DisposeAsync();

    private sealed class StringBuilderWriter(StringBuilder builder) : TextWriter
    {
        public override Encoding Encoding => Encoding.UTF8;

        public override void WriteLine(string? value)
        {
            lock (builder)
                builder.AppendLine(value);
        }

        public override void Write(char value)
        {
            lock (builder)
                builder.Append(value);
        }
    }
}
