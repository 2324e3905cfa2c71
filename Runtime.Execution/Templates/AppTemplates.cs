using System.Reflection;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace Runtime.Execution.Templates;

/// <summary>Where and how an app runs, for rendering its template.</summary>
/// <param name="BasePath">The path the proxy serves it under, without a trailing slash (<c>/apps/default/sales</c>).</param>
/// <param name="VenvBin">The Python environment's <c>bin</c> folder; null runs the tools found on PATH.</param>
/// <param name="Python">The interpreter when there is no venv (default python3 on PATH).</param>
public sealed record TemplateInput(string AppType, string Path, int Port, string Host, string BasePath, string WorkDirectory, string? VenvBin, string? Python = null);

/// <summary>A rendered template: the argument vector, the environment it adds, and the health path (null: not a server; <c>tcp</c>: any server accepting connections).</summary>
public sealed record RenderedApp(IReadOnlyList<string> Command, IReadOnlyDictionary<string, string> Environment, string? HealthPath)
{
    /// <summary>What to probe when the app listens on loopback port <paramref name="port"/>; null for what is not a server.</summary>
    public Uri? HealthUri(int port) => HealthPath switch
    {
        null => null,
        "tcp" => new Uri($"tcp://127.0.0.1:{port}"),
        _ => new Uri($"http://127.0.0.1:{port}{HealthPath}"),
    };
}

/// <summary>
/// App-type templates as data (<c>app-templates.json</c>, DESIGN §4): a command with placeholders
/// ({bin}, {python}, {path}, {port}, {host}, {basePath}, {workDir}), environment variables and a health path.
/// </summary>
public static partial class AppTemplates
{
    private static readonly Dictionary<string, Template> All = Load();

    /// <summary>The app types there are templates for.</summary>
    public static IReadOnlyCollection<string> Types => All.Keys;

    public static RenderedApp Render(TemplateInput input)
    {
        if (!All.TryGetValue(input.AppType, out var template))
            throw new ArgumentException($"No template for app type '{input.AppType}'; known: {string.Join(", ", All.Keys)}.", nameof(input));
        var values = new Dictionary<string, string>
        {
            ["bin"] = input.VenvBin is null ? "" : input.VenvBin.TrimEnd('/') + "/",
            ["python"] = input.VenvBin is null ? input.Python ?? "python3" : input.VenvBin.TrimEnd('/') + "/python",
            ["path"] = input.Path,
            ["port"] = input.Port.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["host"] = input.Host,
            ["basePath"] = input.BasePath.TrimEnd('/'),
            ["workDir"] = input.WorkDirectory,
        };
        string Fill(string text) => Placeholder().Replace(text, m =>
            values.TryGetValue(m.Groups[1].Value, out var value) ? value : throw new InvalidDataException($"Unknown placeholder {m.Value} in template {input.AppType}."));
        return new RenderedApp(
            template.Command.Select(Fill).ToList(),
            template.Environment.ToDictionary(e => e.Key, e => Fill(e.Value)),
            template.HealthPath is null ? null : Fill(template.HealthPath));
    }

    private sealed record Template(List<string> Command, Dictionary<string, string> Environment, string? HealthPath);

    private static Dictionary<string, Template> Load()
    {
        using var stream = Assembly.GetExecutingAssembly().GetManifestResourceStream("app-templates.json")
            ?? throw new InvalidOperationException("app-templates.json is not embedded.");
        return JsonSerializer.Deserialize<Dictionary<string, Template>>(stream, new JsonSerializerOptions(JsonSerializerDefaults.Web))!;
    }

    [GeneratedRegex(@"\{([A-Za-z]+)\}")]
    private static partial Regex Placeholder();
}
