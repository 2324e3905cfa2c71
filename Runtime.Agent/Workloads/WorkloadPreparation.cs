using Runtime.Agent.Hosting;
using Runtime.Agent.Logs;
using Runtime.Execution.Agents;
using Runtime.Execution.Files;
using Runtime.Execution.Logs;
using Runtime.Execution.Python;
using Runtime.Execution.Supervision;

namespace Runtime.Agent.Workloads;

/// <summary>
/// Gets a workload's folder ready (<c>&lt;data-dir&gt;/workloads/&lt;assignment&gt;/</c>): the revision unpacked into
/// <c>app/</c>, the workload's files written there, its Python environment built or reused (build output in
/// the workload's log, stream <c>build</c>).
/// </summary>
internal sealed partial class WorkloadPreparation(
    AgentSettings settings, ArchiveCache archives, VenvBuilder venvs, LogUploader logs, IOptions<AgentOptions> options, ILogger<WorkloadPreparation> logger)
{
    /// <summary>The interpreter name that means the agent's own (<see cref="AgentOptions.Python"/>).</summary>
    public const string AgentInterpreter = "agent";

    public string Folder(Guid assignmentId) => Path.Combine(settings.Workloads, assignmentId.ToString("N"));

    /// <summary>Prepares the folder; returns the Python environment's <c>bin</c> folder.</summary>
    /// <exception cref="PythonEnvironmentException">Building the Python environment failed.</exception>
    public async Task<string> PrepareAsync(AgentAssignment assignment, AgentWorkload workload, CancellationToken ct)
    {
        var directory = Folder(assignment.Id);
        PrivateFile.CreateFolder(directory);
        var app = Path.Combine(directory, "app");
        var archive = await archives.GetAsync(workload.Archive, ct);
        await ArchiveCache.UnpackAsync(archive, app, ct);
        WorkloadFiles.Write(workload.Files, app);

        var python = workload.Python;
        var interpreter = python.Interpreter == AgentInterpreter ? options.Value.Python : python.Interpreter;
        var secrets = workload.Secrets.Where(s => s.Length > 0).OrderByDescending(s => s.Length).ToArray();
        void Build(string line)
        {
            foreach (var secret in secrets)
                line = line.Replace(secret, "***", StringComparison.Ordinal);
            logs.Write(new LogLine(assignment.WorkloadId, "build", DateTimeOffset.UtcNow, line));
        }
        var built = await venvs.EnsureAsync(new PythonEnvironmentSpec(interpreter, python.Requirements, python.InheritSystemPackages), Build, ct);
        if (!built.Reused)
            LogEnvironmentBuilt(assignment.WorkloadId, built.Key, (long)built.Took.TotalMilliseconds);
        return built.Bin;
    }

    /// <summary>Deletes a workload's folder (its record, files and output with it).</summary>
    public void Remove(string directory)
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
