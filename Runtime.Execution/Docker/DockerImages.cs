using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text.RegularExpressions;
using Runtime.Execution.Workloads;

namespace Runtime.Execution.Docker;

/// <summary>
/// Makes sure the image a workload needs is on the machine. Nothing can be pulled here (no registry), so a
/// missing <c>runtime-python</c> image is built locally with <c>images/runtime-python/build-runtime.sh</c>
/// when auto-build is on; otherwise the start fails with the command that builds it.
/// </summary>
public sealed partial class DockerImages(DockerEngine engine, string? buildScript = null)
{
    private readonly ConcurrentDictionary<string, SemaphoreSlim> _building = new();

    /// <summary>The script as shipped beside the assemblies of every host that references Runtime.Execution.</summary>
    public static string DefaultBuildScript => Path.Combine(AppContext.BaseDirectory, "images", "runtime-python", "build-runtime.sh");

    public string BuildScript { get; } = buildScript ?? DefaultBuildScript;

    /// <summary>Returns once <paramref name="image"/> is on the machine, building it first if it is missing and <paramref name="autoBuild"/> is on; the build's output goes to <paramref name="log"/>.</summary>
    /// <exception cref="WorkloadStartException">The engine does not answer, the image is missing and auto-build is off (the message has the command that builds it), or the build failed.</exception>
    public async Task EnsureAsync(string image, bool autoBuild, Action<string>? log, CancellationToken ct = default)
    {
        var reference = ImageReference.Parse(image, nameof(image));
        if (await engine.ImageExistsAsync(image, ct))
            return;
        var status = await engine.CheckAsync(ct);
        if (!status.Available)
            throw new WorkloadStartException($"Cannot start a container: {status.Reason}.");
        if (reference.Repository != ExecutionImages.RuntimePython || reference.Digest is not null)
            throw new WorkloadStartException($"The image {image} is not on this machine and cannot be pulled here; Runtime builds only {ExecutionImages.RuntimePython} images. Load it with `docker load` or build it, then start again.");
        var command = BuildCommand(image, reference);
        if (!autoBuild)
            throw new WorkloadStartException($"The image {image} is not on this machine and building it automatically is off (EXECUTION_AUTO_BUILD_IMAGE=false). Build it (as root) with: {string.Join(' ', command)}");

        var gate = _building.GetOrAdd(image, _ => new SemaphoreSlim(1, 1));
        await gate.WaitAsync(ct);
        try
        {
            if (await engine.ImageExistsAsync(image, ct))
                return;
            log?.Invoke($"[runtime] the image {image} is missing: building it with {string.Join(' ', command)}");
            await RunAsync(command, log, ct);
            if (!await engine.ImageExistsAsync(image, ct))
                throw new WorkloadStartException($"Building {image} with {string.Join(' ', command)} finished, but the image is still missing.");
        }
        finally
        {
            gate.Release();
        }
    }

    /// <summary>The exact command that builds <paramref name="image"/>: its Python version when its tag is one (<c>runtime-python:3.11</c>), always tagged as asked.</summary>
    public IReadOnlyList<string> BuildCommand(string image, ImageReference? reference = null)
    {
        reference ??= ImageReference.Parse(image, nameof(image));
        List<string> command = ["bash", BuildScript];
        if (reference.Tag is { } tag && PythonVersion().IsMatch(tag))
            command.Add(tag);
        command.AddRange(["--tag", image]);
        return command;
    }

    private static async Task RunAsync(IReadOnlyList<string> command, Action<string>? log, CancellationToken ct)
    {
        var info = new ProcessStartInfo(command[0]) { RedirectStandardOutput = true, RedirectStandardError = true, RedirectStandardInput = true };
        foreach (var argument in command.Skip(1))
            info.ArgumentList.Add(argument);
        using var process = new Process { StartInfo = info };
        var recent = new ConcurrentQueue<string>();
        void Line(string? text)
        {
            if (text is null)
                return;
            log?.Invoke(text);
            recent.Enqueue(text);
            while (recent.Count > 10)
                recent.TryDequeue(out _);
        }
        process.OutputDataReceived += (_, e) => Line(e.Data);
        process.ErrorDataReceived += (_, e) => Line(e.Data);
        process.Start();
        process.StandardInput.Close();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        try
        {
            await process.WaitForExitAsync(ct);
            process.WaitForExit(); // the last lines
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw;
        }
        if (process.ExitCode != 0)
            throw new WorkloadStartException($"Building the image failed ({string.Join(' ', command)}, exit code {process.ExitCode}); last lines:\n{string.Join('\n', recent)}");
    }

    [GeneratedRegex(@"^\d+\.\d+$")]
    private static partial Regex PythonVersion();
}
