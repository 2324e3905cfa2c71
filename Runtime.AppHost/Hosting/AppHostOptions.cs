namespace Runtime.AppHost.Hosting;

/// <summary>The AppHost's command line.</summary>
public sealed record AppHostOptions
{
    public const int DefaultPort = 8080;

    public const string Usage = """
        Usage: dotnet run --project Runtime.AppHost -- [options]

          --data-dir <path>   where Runtime keeps its PostgreSQL cluster and owner token (default: .runtime)
          --silos <n>         how many silo processes to start, 1 to 16 (default: 1)
          --port <port>       the Api's port on 127.0.0.1 (default: 8080, or a free one if 8080 is taken;
                              0 always picks a free one)
          --pg-bin <path>     the folder holding PostgreSQL's initdb and postgres (default: found automatically)
          --help              this text

        With ConnectionStrings__runtime set, Runtime uses that server and starts no PostgreSQL of its own.
        """;

    public string DataDirectory { get; init; } = ".runtime";

    public int Silos { get; init; } = 1;

    /// <summary>The Api's port; null means 8080 when free, else any free port.</summary>
    public int? Port { get; init; }

    public string? PostgresBin { get; init; }

    public bool Help { get; init; }

    /// <summary>Parses <paramref name="args"/>; a bad argument is an <see cref="ArgumentException"/> whose message says what to do.</summary>
    public static AppHostOptions Parse(IReadOnlyList<string> args)
    {
        var options = new AppHostOptions();
        for (var i = 0; i < args.Count; i++)
        {
            var (name, inline) = Split(args[i]);
            string Value()
            {
                if (inline is not null)
                    return inline;
                if (i + 1 >= args.Count || args[i + 1].StartsWith("--", StringComparison.Ordinal))
                    throw new ArgumentException($"{name} needs a value.");
                return args[++i];
            }

            options = name switch
            {
                "--data-dir" => options with { DataDirectory = NotEmpty(name, Value()) },
                "--silos" => options with { Silos = Number(name, Value(), 1, 16) },
                "--port" => options with { Port = Number(name, Value(), 0, 65535) },
                "--pg-bin" => options with { PostgresBin = NotEmpty(name, Value()) },
                "--help" or "-h" => options with { Help = true },
                _ => throw new ArgumentException($"Unknown option '{args[i]}'."),
            };
        }
        return options;
    }

    private static (string Name, string? Value) Split(string argument)
    {
        var equals = argument.IndexOf('=', StringComparison.Ordinal);
        return argument.StartsWith("--", StringComparison.Ordinal) && equals > 0
            ? (argument[..equals], argument[(equals + 1)..])
            : (argument, null);
    }

    private static string NotEmpty(string name, string value) =>
        string.IsNullOrWhiteSpace(value) ? throw new ArgumentException($"{name} must not be empty.") : value;

    private static int Number(string name, string value, int min, int max) =>
        int.TryParse(value, out var number) && number >= min && number <= max
            ? number
            : throw new ArgumentException($"{name} must be a whole number from {min} to {max}, not '{value}'.");
}
