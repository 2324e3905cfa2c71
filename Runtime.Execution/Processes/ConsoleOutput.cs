namespace Runtime.Execution.Processes;

/// <summary>Writes each child's lines to the console prefixed with its name, one whole line at a time.</summary>
public sealed class ConsoleOutput(TextWriter writer)
{
    private readonly Lock _gate = new();

    public static ConsoleOutput Console { get; } = new(System.Console.Out);

    public void Line(string source, string text)
    {
        lock (_gate)
            writer.WriteLine($"[{source}] {text}");
    }
}
