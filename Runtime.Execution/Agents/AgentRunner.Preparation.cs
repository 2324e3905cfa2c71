using System.Diagnostics;
using Runtime.Execution.Files;
using Runtime.Execution.Logs;
using Runtime.Execution.Processes;
using Runtime.Execution.Python;
using Runtime.Execution.Workloads;

namespace Runtime.Execution.Agents;

/// <summary>
/// A workload's folder (<c>&lt;data-dir&gt;/workloads/&lt;assignment&gt;-&lt;attempt&gt;/</c>): the revision unpacked into
/// <c>app/</c>, the workload's files written there, its Python environment built or reused (build output in the
/// workload's log, stream <c>build</c>, its secrets masked).
/// </summary>
public sealed partial class AgentRunner
{
    /// <summary>The interpreter name that means the agent's own (<see cref="Supervision.AgentOptions.Python"/>).</summary>
    public const string AgentInterpreter = "agent";

    // One folder per claim: an earlier claim's agent may have died while starting, leaving its workload to be taken over.
    private string Folder(AgentAssignment assignment) => Path.Combine(settings.Workloads, $"{assignment.Id:N}-{assignment.Attempt}");

    /// <summary>Prepares the folder; returns the Python environment's <c>bin</c> folder. Times of each phase go into <paramref name="phases"/>.</summary>
    /// <exception cref="PythonEnvironmentException">Building the Python environment failed.</exception>
    private async Task<string?> PrepareAsync(string directory, string workloadId, AgentWorkload workload, string executor, Dictionary<string, long> phases, CancellationToken ct)
    {
        var clock = Stopwatch.StartNew();
        PrivateFile.CreateFolder(directory);
        var app = Path.Combine(directory, "app");
        await UnpackAsync(workload.Archive, app, ct);
        WorkloadFiles.Write(workload.Files, app);
        phases["unpackMs"] = clock.ElapsedMilliseconds;
        var bin = UsesImagePython(workload, executor) ? null : await PythonAsync(workloadId, workload, ct);
        phases["venvMs"] = clock.ElapsedMilliseconds - phases["unpackMs"];
        return bin;
    }

    // A container of the agent's own environment with no requirements runs the image's Python and its packages: no venv to build or mount.
    private static bool UsesImagePython(AgentWorkload workload, string executor) =>
        executor == Docker.DockerExecutor.ExecutorName && workload.Python.Interpreter == AgentInterpreter && VenvBuilder.Normalize(workload.Python.Requirements).Length == 0;

    // What a start again needs and may have lost meanwhile: the unpacked revision, its files and the Python environment.
    private async Task<WorkloadRecord> PrepareAgainAsync(WorkloadRecord record, CancellationToken ct)
    {
        if (!Directory.Exists(record.AppDirectory) || !Directory.EnumerateFileSystemEntries(record.AppDirectory).Any())
        {
            LogUnpackingAgain(record.WorkloadId, record.AssignmentId);
            await UnpackAsync(record.Workload.Archive, record.AppDirectory, ct);
        }
        WorkloadFiles.Write(record.Workload.Files, record.AppDirectory);
        if ((record.VenvBin is not null && Directory.Exists(record.VenvBin)) || UsesImagePython(record.Workload, record.Executor))
            return record;
        record = record with { VenvBin = await PythonAsync(record.WorkloadId, record.Workload, ct) };
        record.Save();
        return record;
    }

    // The workload's Python environment, built on first use and reused after.
    private async Task<string> PythonAsync(string workloadId, AgentWorkload workload, CancellationToken ct)
    {
        var python = workload.Python;
        var interpreter = python.Interpreter == AgentInterpreter ? options.Python : python.Interpreter;
        var mask = new SecretMask(workload.Secrets);
        var built = await venvs.EnsureAsync(new PythonEnvironmentSpec(interpreter, python.Requirements, python.InheritSystemPackages),
            line => channel.Logs.Write(new LogLine(workloadId, "build", time.GetUtcNow(), mask.Apply(line))), ct);
        if (!built.Reused)
            LogEnvironmentBuilt(workloadId, built.Key, (long)built.Took.TotalMilliseconds);
        return built.Bin;
    }

    // The spec with the workload's limits, and for a container its network, published ports, venv mount and image.
    private ProcessSpec Limited(ProcessSpec spec, WorkloadRecord record, ExecutionLimits limits, IReadOnlyList<int>? ports)
    {
        var memory = (options.MemoryLimitBytes, limits.MemoryBytes) switch
        {
            ({ } agent, { } execution) => Math.Min(agent, execution),
            (var agent, var execution) => agent ?? execution,
        };
        spec = spec with { MemoryLimit = memory, CpuPercent = limits.CpuPercent, TmpfsSize = limits.TmpfsBytes };
        if (limits.Executor != Docker.DockerExecutor.ExecutorName)
            return spec;
        return spec with
        {
            NetworkMode = executors.Options.NetworkFor(publishesPort: ports is { Count: > 0 }),
            Ports = ports,
            Mounts = record.VenvBin is { } bin ? [new BindMount(Path.GetDirectoryName(bin.TrimEnd('/'))!, ReadOnly: true)] : null,
            Image = record.Workload.Execution?.Image,
        };
    }

    private static string BuildFailed(AgentPython python) =>
        python.Name is { } name ? $"building the Python environment '{name}' failed" : "building the Python environment failed";

    /// <summary>Unpacks the revision archive into <paramref name="directory"/> (files owned by the agent's user, whatever the archive says).</summary>
    private async Task UnpackAsync(string archive, string directory, CancellationToken ct)
    {
        Directory.CreateDirectory(directory);
        var tar = new ProcessStartInfo("tar") { RedirectStandardInput = true, RedirectStandardError = true };
        foreach (var argument in new[] { "-xzf", "-", "-C", directory, "--no-same-owner" })
            tar.ArgumentList.Add(argument);
        await using var source = await channel.OpenArchiveAsync(archive, ct);
        using var process = Process.Start(tar) ?? throw new InvalidOperationException("could not run tar");
        var error = process.StandardError.ReadToEndAsync(ct);
        try
        {
            await source.CopyToAsync(process.StandardInput.BaseStream, ct);
        }
        catch (IOException)
        {
            // tar stopped reading (a broken archive): its exit code and message say why.
        }
        process.StandardInput.Close();
        await process.WaitForExitAsync(ct);
        if (process.ExitCode != 0)
            throw new InvalidOperationException($"unpacking the revision failed: {(await error).Trim()}");
    }

    /// <summary>Deletes a workload's folder (its record, files and output with it).</summary>
    private void Remove(string directory)
    {
        try
        {
            if (Directory.Exists(directory))
                Directory.Delete(directory, recursive: true);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            LogCleanupFailed(e, directory);
        }
    }
}
