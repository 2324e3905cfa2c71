using System.Diagnostics;

namespace Runtime.Benchmarks.Apps;

/// <summary>
/// A bare Git repository in a temp directory holding one commit of a small Flask app (the stand-in
/// for Dash the project tests use), and the working copy it was pushed from.
/// </summary>
internal sealed class FlaskRepository : IDisposable
{
    /// <summary>Answers "hello" under the base path the Dash template gives it; Flask's dev server, threaded.</summary>
    public const string App = """
        import os
        from flask import Flask
        base = os.environ["DASH_URL_BASE_PATHNAME"]
        app = Flask(__name__)

        @app.route(base)
        def index():
            return "hello"

        print("serving under", base, flush=True)
        app.run(host=os.environ["HOST"], port=int(os.environ["PORT"]))
        """;

    public const string Entrypoint = "app.py";

    private readonly string _root;

    private FlaskRepository(string root) => _root = root;

    /// <summary>The working copy: a directory holding <see cref="Entrypoint"/>, to start the app directly.</summary>
    public string WorkPath => Path.Combine(_root, "work");

    public string FileUrl => "file://" + Path.Combine(_root, "origin.git");

    /// <param name="files">More files to commit beside the app (a job's script).</param>
    public static FlaskRepository Create(IReadOnlyDictionary<string, string>? files = null)
    {
        var repository = new FlaskRepository(Directory.CreateTempSubdirectory("runtime-bench-repo-").FullName);
        var config = Path.Combine(repository._root, "gitconfig");
        File.WriteAllText(config, "[safe]\n\tdirectory = *\n[user]\n\tname = Benchmark\n\temail = bench@example.com\n");
        var bare = Path.Combine(repository._root, "origin.git");
        Git(config, repository._root, "init", "-q", "--bare", "-b", "main", bare);
        Git(config, repository._root, "init", "-q", "-b", "main", repository.WorkPath);
        File.WriteAllText(Path.Combine(repository.WorkPath, Entrypoint), App);
        foreach (var (name, text) in files ?? new Dictionary<string, string>())
            File.WriteAllText(Path.Combine(repository.WorkPath, name), text);
        Git(config, repository.WorkPath, "add", "-A");
        Git(config, repository.WorkPath, "commit", "-q", "-m", "flask app");
        Git(config, repository.WorkPath, "push", "-q", bare, "main");
        return repository;
    }

    public void Dispose()
    {
        try
        {
            Directory.Delete(_root, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    private static void Git(string config, string directory, params string[] arguments)
    {
        var info = new ProcessStartInfo("git") { RedirectStandardOutput = true, RedirectStandardError = true };
        info.ArgumentList.Add("-C");
        info.ArgumentList.Add(directory);
        foreach (var argument in arguments)
            info.ArgumentList.Add(argument);
        info.Environment["GIT_CONFIG_GLOBAL"] = config;
        info.Environment["GIT_CONFIG_NOSYSTEM"] = "1";
        using var process = Process.Start(info)!;
        var error = process.StandardError.ReadToEndAsync();
        process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        if (process.ExitCode != 0)
            throw new InvalidOperationException($"git {string.Join(' ', arguments)} failed: {error.Result}");
    }
}
