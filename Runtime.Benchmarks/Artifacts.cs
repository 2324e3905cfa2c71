using System.Text.Encodings.Web;
using System.Text.Json;

namespace Runtime.Benchmarks;

/// <summary>Where the benchmarks write their JSON: <c>artifacts/benchmarks/</c> at the repository root.</summary>
internal static class Artifacts
{
    private static readonly JsonSerializerOptions Indented = new(JsonSerializerDefaults.Web)
    {
        WriteIndented = true,
        // Read by people too: keep quotes, arrows and ellipses as they are.
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    /// <summary>Writes <paramref name="result"/> to <c>artifacts/benchmarks/&lt;name&gt;.json</c> and returns the path.</summary>
    public static async Task<string> WriteAsync(string name, object result)
    {
        var output = PathOf(name + ".json");
        await File.WriteAllTextAsync(output, JsonSerializer.Serialize(result, Indented));
        return output;
    }

    /// <summary>The path of <paramref name="fileName"/> in <c>artifacts/benchmarks/</c>, which is created if missing.</summary>
    public static string PathOf(string fileName)
    {
        var directory = Path.Combine(RepositoryRoot(), "artifacts", "benchmarks");
        Directory.CreateDirectory(directory);
        return Path.Combine(directory, fileName);
    }

    private static string RepositoryRoot()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "Runtime.sln")))
                return directory.FullName;
        }
        return Directory.GetCurrentDirectory();
    }
}
