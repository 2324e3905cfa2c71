using System.Diagnostics;
using System.Security.Cryptography;
using System.Text;
using Runtime.Execution.Logs;

namespace Runtime.Execution.Python;

/// <summary>
/// Builds virtual environments under one folder, keyed by the hash of the interpreter (its real path
/// and version) and the requirements, and reuses them: an environment is built once per machine and
/// shared by every workload that asks for the same thing. A build holds a file lock, so silos on one
/// machine never build the same environment at once; an environment is used only once it is complete
/// (its <c>.ready</c> marker). Each build keeps its log beside it (<c>&lt;key&gt;.log</c>).
/// </summary>
public sealed class VenvBuilder(string root, TimeSpan? buildTimeout = null)
{
    private const string ReadyMarker = ".ready";
    private readonly TimeSpan _buildTimeout = buildTimeout ?? TimeSpan.FromMinutes(15);

    /// <summary>The environment for <paramref name="spec"/>, built if needed; build output goes to <paramref name="log"/> too.</summary>
    /// <exception cref="PythonEnvironmentException">The interpreter is missing, or venv or pip failed.</exception>
    public async Task<PythonEnvironment> EnsureAsync(PythonEnvironmentSpec spec, Action<string>? log, CancellationToken ct)
    {
        var clock = Stopwatch.StartNew();
        var interpreter = Resolve(spec.Interpreter);
        var key = await KeyAsync(interpreter, spec, ct);
        var directory = Path.Combine(root, key);
        var bin = Path.Combine(directory, "bin");
        if (File.Exists(Path.Combine(directory, ReadyMarker)))
            return new PythonEnvironment(bin, key, Reused: true, clock.Elapsed);

        Directory.CreateDirectory(root);
        await using var buildLock = await LockAsync(Path.Combine(root, key + ".lock"), ct);
        if (File.Exists(Path.Combine(directory, ReadyMarker)))
            return new PythonEnvironment(bin, key, Reused: true, clock.Elapsed);

        if (Directory.Exists(directory))
            Directory.Delete(directory, recursive: true); // an interrupted build
        await using var buildLog = new StreamWriter(Path.Combine(root, key + ".log"), append: false);
        var recent = new Queue<string>();
        void Write(string line)
        {
            buildLog.WriteLine(line);
            log?.Invoke(line);
            recent.Enqueue(line);
            if (recent.Count > 15)
                recent.Dequeue();
        }

        var requirements = Normalize(spec.Requirements);
        List<string> venv = [interpreter, "-m", "venv"];
        if (spec.InheritSystemPackages)
            venv.Add("--system-site-packages");
        if (requirements.Length == 0)
            venv.Add("--without-pip");
        venv.Add(directory);
        await RunAsync(venv, Write, recent, "creating the virtual environment", ct);
        if (requirements.Length > 0)
        {
            var file = Path.Combine(directory, "requirements.txt");
            await File.WriteAllTextAsync(file, requirements, ct);
            await RunAsync([Path.Combine(bin, "python"), "-m", "pip", "install", "--disable-pip-version-check", "--no-input", "-r", file], Write, recent, "pip install", ct);
        }
        await File.WriteAllTextAsync(Path.Combine(directory, ReadyMarker), DateTimeOffset.UtcNow.ToString("O"), ct);
        Write($"environment {key} ready in {clock.ElapsedMilliseconds} ms");
        return new PythonEnvironment(bin, key, Reused: false, clock.Elapsed);
    }

    /// <summary>The requirements as pip reads them: lines trimmed, blank lines and comments dropped.</summary>
    public static string Normalize(string requirements) => string.Join('\n', requirements
        .Split('\n')
        .Select(l => l.Trim())
        .Where(l => l.Length > 0 && !l.StartsWith('#'))) is { Length: > 0 } text ? text + "\n" : "";

    private async Task RunAsync(List<string> command, Action<string> write, Queue<string> recent, string step, CancellationToken ct)
    {
        write("$ " + string.Join(' ', command));
        var info = new ProcessStartInfo(command[0]) { RedirectStandardOutput = true, RedirectStandardError = true, RedirectStandardInput = true };
        foreach (var argument in command.Skip(1))
            info.ArgumentList.Add(argument);
        info.Environment["PIP_NO_COLOR"] = "1";
        info.Environment["PYTHONUNBUFFERED"] = "1";
        using var process = new Process { StartInfo = info };
        var gate = new Lock();
        void Line(string? text)
        {
            if (text is null)
                return;
            lock (gate)
                write(text);
        }
        process.OutputDataReceived += (_, e) => Line(e.Data);
        process.ErrorDataReceived += (_, e) => Line(e.Data);
        process.Start();
        process.StandardInput.Close();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeout.CancelAfter(_buildTimeout);
        try
        {
            await process.WaitForExitAsync(timeout.Token);
            process.WaitForExit();
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            if (ct.IsCancellationRequested)
                throw;
            throw new PythonEnvironmentException($"{step} took longer than {_buildTimeout.TotalMinutes:0} minutes" + Describe(recent, gate));
        }
        if (process.ExitCode != 0)
            throw new PythonEnvironmentException($"{step} failed with exit code {process.ExitCode}" + Describe(recent, gate));
    }

    private static string Describe(Queue<string> recent, Lock gate)
    {
        lock (gate)
            return recent.Count == 0 ? "" : "; last lines:\n" + string.Join('\n', recent);
    }

    // The interpreter as a real path: a name is looked up on PATH, a symlink followed.
    private static string Resolve(string interpreter)
    {
        var path = Path.IsPathRooted(interpreter)
            ? interpreter
            : (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':', StringSplitOptions.RemoveEmptyEntries)
                .Select(d => Path.Combine(d, interpreter)).FirstOrDefault(File.Exists);
        if (path is null || !File.Exists(path))
            throw new PythonEnvironmentException($"the interpreter {interpreter} is not installed on this machine");
        return new FileInfo(path).ResolveLinkTarget(returnFinalTarget: true)?.FullName ?? path;
    }

    private static async Task<string> KeyAsync(string interpreter, PythonEnvironmentSpec spec, CancellationToken ct)
    {
        var version = await VersionAsync(interpreter, ct);
        var identity = $"{interpreter}\n{version}\n{spec.InheritSystemPackages}\n{Normalize(spec.Requirements)}";
        return Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(identity)))[..20];
    }

    // Asked once per interpreter binary (a reinstalled one has a new modification time).
    private static async Task<string> VersionAsync(string interpreter, CancellationToken ct)
    {
        var binary = (interpreter, File.GetLastWriteTimeUtc(interpreter));
        if (Versions.TryGetValue(binary, out var known))
            return known;
        var info = new ProcessStartInfo(interpreter, ["-c", "import sys; print(sys.version)"]) { RedirectStandardOutput = true };
        using var process = Process.Start(info) ?? throw new PythonEnvironmentException($"could not run {interpreter}");
        var version = (await process.StandardOutput.ReadToEndAsync(ct)).Trim();
        await process.WaitForExitAsync(ct);
        if (process.ExitCode != 0 || version.Length == 0)
            throw new PythonEnvironmentException($"{interpreter} did not run (exit code {process.ExitCode})");
        return Versions[binary] = version;
    }

    private static readonly System.Collections.Concurrent.ConcurrentDictionary<(string, DateTime), string> Versions = new();

    // FileShare.None is an exclusive advisory lock on Linux: one builder per key across processes.
    private static async Task<FileStream> LockAsync(string path, CancellationToken ct)
    {
        while (true)
        {
            try
            {
                return new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
            }
            catch (IOException)
            {
                await Task.Delay(200, ct);
            }
        }
    }
}
