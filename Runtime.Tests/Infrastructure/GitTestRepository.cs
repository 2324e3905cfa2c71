using System.Diagnostics;

namespace Runtime.Tests.Infrastructure;

/// <summary>A real bare Git repository on disk with a working copy to commit to it, using its own git configuration.</summary>
public sealed class GitTestRepository : IDisposable
{
    private readonly string _root;
    private readonly Dictionary<string, string> _environment;

    private GitTestRepository(string root)
    {
        _root = root;
        var config = Path.Combine(root, "gitconfig");
        File.WriteAllText(config, "[safe]\n\tdirectory = *\n[user]\n\tname = Test Author\n\temail = author@example.com\n[init]\n\tdefaultBranch = main\n");
        _environment = new Dictionary<string, string> { ["GIT_CONFIG_GLOBAL"] = config, ["GIT_CONFIG_NOSYSTEM"] = "1", ["HOME"] = root };
    }

    /// <summary>The bare repository, which the code under test fetches from.</summary>
    public string BarePath => Path.Combine(_root, "origin.git");

    public string FileUrl => "file://" + BarePath;

    private string WorkPath => Path.Combine(_root, "work");

    /// <summary>Creates the repository with one commit holding <paramref name="files"/> on branch main.</summary>
    public static GitTestRepository Create(IReadOnlyDictionary<string, string> files, string? parent = null)
    {
        var root = parent is null ? Directory.CreateTempSubdirectory("runtime-repo-").FullName : Directory.CreateDirectory(Path.Combine(parent, Guid.NewGuid().ToString("N"))).FullName;
        var repository = new GitTestRepository(root);
        repository.Run(root, "init", "-q", "--bare", "-b", "main", repository.BarePath);
        repository.Run(root, "init", "-q", "-b", "main", repository.WorkPath);
        repository.Run(repository.WorkPath, "remote", "add", "origin", repository.BarePath);
        repository.Commit(files, "first commit");
        return repository;
    }

    /// <summary>Writes <paramref name="files"/>, commits them, pushes, and returns the new commit's SHA.</summary>
    public string Commit(IReadOnlyDictionary<string, string> files, string message, string branch = "main")
    {
        if (Run(WorkPath, "branch", "--show-current").Trim() != branch)
            Run(WorkPath, "checkout", "-q", "-B", branch);
        foreach (var (path, content) in files)
        {
            var full = Path.Combine(WorkPath, path);
            Directory.CreateDirectory(Path.GetDirectoryName(full)!);
            File.WriteAllText(full, content);
        }
        Run(WorkPath, "add", "-A");
        Run(WorkPath, "commit", "-q", "-m", message);
        Run(WorkPath, "push", "-q", "origin", branch);
        return Run(WorkPath, "rev-parse", "HEAD").Trim();
    }

    /// <summary>Lets <paramref name="user"/> read the bare repository (for the SSH server's git user).</summary>
    public void GiveTo(string user) => Exec("chown", "-R", user, BarePath);

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

    private string Run(string directory, params string[] arguments) => Exec(["git", "-C", directory, .. arguments]);

    private string Exec(params string[] command)
    {
        var info = new ProcessStartInfo(command[0]) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var argument in command.Skip(1))
            info.ArgumentList.Add(argument);
        foreach (var (key, value) in _environment)
            info.Environment[key] = value;
        using var process = Process.Start(info)!;
        var output = process.StandardOutput.ReadToEnd();
        var error = process.StandardError.ReadToEnd();
        process.WaitForExit();
        if (process.ExitCode != 0)
            throw new InvalidOperationException($"{string.Join(' ', command)} failed: {error}");
        return output;
    }
}
