using Runtime.Execution.Supervision;
using System.Buffers.Text;
using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text.Json;
using Runtime.Execution.Processes;
using Runtime.Execution.Python;
using Runtime.Execution.Templates;
using Runtime.Grains;
using Runtime.Grains.Assignments;
using Runtime.Grains.Configurations;
using Runtime.Grains.Jobs;
using Runtime.Grains.Projects;
using Runtime.Grains.Settings;
using Runtime.Grains.Tokens;

namespace Runtime.Silo.Agent;

/// <summary>Runs of jobs: a script run once to its end, its exit reported to the job.</summary>
public sealed partial class EmbeddedAgent
{
    private const string RunCancelled = "cancelled";
    private const string RunAgentStopped = "agent stopped: the silo running it was shut down";

    /// <summary>Runs in progress by their assignment, for cancels.</summary>
    private readonly ConcurrentDictionary<Guid, ProcessWorkload> _runs = new();

    /// <summary>The handling of each run in progress, so that a stopping silo can wait for their reports.</summary>
    private readonly ConcurrentDictionary<Guid, Task> _runHandlers = new();

    /// <summary>How long a run asked to stop (cancelled, past its time limit) has before SIGKILL.</summary>
    private TimeSpan RunStopGrace => options.Value.RunStopGrace;

    private async Task RunAsync(Assignment assignment, RunSpec spec, CancellationToken ct)
    {
        var handled = new TaskCompletionSource();
        _runHandlers[assignment.Id] = handled.Task;
        var directory = Path.Combine(Workloads, "runs", spec.RunId.ToString("N"));
        try
        {
            await UnpackAsync(spec.Archive, Path.Combine(directory, "app"), ct);
            PythonEnvironment python;
            try
            {
                python = await PythonAsync(assignment.Grain, assignment.WorkloadId, spec.WorkspaceId, spec.PythonEnvironment, ct);
            }
            catch (PythonEnvironmentException e)
            {
                await queue.CompleteAsync(assignment.Id, AgentId, false, null, CancellationToken.None);
                await ReportRunEndedAsync(spec, -1, $"building the Python environment '{spec.PythonEnvironment}' failed: {e.Message}", null);
                return;
            }

            var app = AppTemplates.Render(new TemplateInput("batch", spec.Path, 0, "127.0.0.1", "", Path.Combine(directory, "app"), python.Bin));
            var settings = WorkloadEnvironment.Decrypt(cipher, ProjectGrain.SettingsOwner(spec.ProjectId), spec.Profile, spec.Settings);
            // The run's own token: it may post pipeline reports for this run, and nothing else, until the run ends.
            var token = "rr_" + Base64Url.EncodeToString(RandomNumberGenerator.GetBytes(32));
            var platform = new Dictionary<string, string>
            {
                ["RUNTIME_PROFILE"] = spec.Profile,
                ["RUNTIME_RUN_ID"] = spec.RunId.ToString("D"),
                ["RUNTIME_RUN_TOKEN"] = token,
                ["PYTHONUNBUFFERED"] = "1",
            };
            if (configuration["Runtime:Api:Url"] is { Length: > 0 } apiUrl)
                platform["RUNTIME_API_URL"] = apiUrl.TrimEnd('/');
            var environment = settings.With(platform.Concat(app.Environment));
            var secrets = settings.Secrets.Concat(WriteConfiguration(spec.ProjectId, spec.Configuration, Path.Combine(directory, "app"))).Append(token).Distinct().ToList();
            var recent = new RecentLines(logs, 20);
            if (_stopped.TryRemove(assignment.Id, out _))
            {
                // Cancelled while it was being prepared: the job was told then.
                await queue.CompleteAsync(assignment.Id, AgentId, false, null, CancellationToken.None);
                return;
            }
            await Report<IJobGrain>(spec.JobId, j => j.RunStarted(spec.RunId, ApiTokens.Hash(token)));
            var workload = ProcessWorkload.Start(new ProcessSpec($"run/{spec.RunId:D}", app.Command, Path.Combine(directory, "app"), environment, secrets,
                spec.TimeLimit, RunStopGrace, options.Value.MemoryLimitBytes, Path.Combine(directory, "output")), recent);
            _runs[assignment.Id] = workload;
            RecordFiles.Save(Path.Combine(directory, RunRecord.FileName), new RunRecord(spec.RunId, workload.Pid, workload.StartTime, _owner));
            if (_stopped.ContainsKey(assignment.Id))
                await workload.StopAsync(RunCancelled); // cancelled while it was being prepared
            LogRunStarted(spec.JobId, spec.RunId, workload.Pid);
            // The start is done: the agent that claimed it keeps the run, and a cancel comes to its own queue.
            await queue.CompleteAsync(assignment.Id, AgentId, true, JsonSerializer.SerializeToElement(new { pid = workload.Pid }), CancellationToken.None);

            var exit = await workload.Exited;
            _runs.TryRemove(assignment.Id, out _);
            _stopped.TryRemove(assignment.Id, out _);
            await workload.DisposeAsync();
            LogRunEnded(spec.JobId, spec.RunId, exit.ExitCode, exit.StopReason);
            await logs.FlushAsync(TimeSpan.FromSeconds(10));
            await ReportRunEndedAsync(spec, exit.ExitCode, exit.StopReason, exit.StopReason is null && exit.ExitCode != 0 ? recent.Describe() : null);
        }
        finally
        {
            Remove(directory);
            _runHandlers.TryRemove(assignment.Id, out _);
            handled.TrySetResult();
        }
    }

    /// <summary>A stopping silo stops its runs and waits (a while) until each has reported how it ended.</summary>
    private async Task StopRunsAsync()
    {
        foreach (var run in _runs.Values)
            await run.StopAsync(RunAgentStopped, TimeSpan.FromSeconds(5));
        await Task.WhenAny(Task.WhenAll(_runHandlers.Values), Task.Delay(TimeSpan.FromSeconds(10)));
    }

    /// <summary>Run processes of this cluster whose silo died: their runs were failed as "agent lost", so they are ended.</summary>
    private void EndOrphanedRuns()
    {
        foreach (var path in RecordFiles.Find(Path.Combine(Workloads, "runs"), RunRecord.FileName, depth: 1))
        {
            if (RecordFiles.Read<RunRecord>(path) is not { } record || !record.Owner.IsOrphanedIn(_clusters))
                continue;
            if (ProcessTable.StartTime(record.Pid) == record.StartTime)
                Signals.SendToGroup(record.Pid, Signals.SigKill);
            LogOrphanedRunEnded(record.RunId, record.Pid);
            Remove(Path.GetDirectoryName(path)!);
        }
    }

    // The configuration's files go to .dlt/ of the working directory (secret ones decrypted, 0600); returns the secret values, to mask.
    private List<string> WriteConfiguration(Guid projectId, RunConfiguration? configuration, string workDirectory)
    {
        var decrypted = DecryptedConfiguration.Decrypt(cipher, projectId, configuration);
        if (decrypted.Files.Count == 0)
            return [];
        var folder = Path.Combine(workDirectory, ".dlt");
        Directory.CreateDirectory(folder);
        foreach (var (name, text) in decrypted.Files)
        {
            if (ConfigurationFiles.IsSecret(name))
                Runtime.Execution.Files.PrivateFile.Write(Path.Combine(folder, name), text);
            else
                File.WriteAllText(Path.Combine(folder, name), text);
        }
        return [.. decrypted.Secrets];
    }

    private Task ReportRunEndedAsync(RunSpec spec, int exitCode, string? stopReason, string? lastLines) =>
        Report<IJobGrain>(spec.JobId, j => j.RunEnded(spec.RunId, exitCode, stopReason, lastLines));


    [LoggerMessage(Level = LogLevel.Warning, Message = "Run {RunId}: its silo died; ended its orphaned process {Pid}")]
    private partial void LogOrphanedRunEnded(Guid runId, int pid);

    [LoggerMessage(Level = LogLevel.Information, Message = "Job {JobId}: run {RunId} started as pid {Pid}")]
    private partial void LogRunStarted(Guid jobId, Guid runId, int pid);

    [LoggerMessage(Level = LogLevel.Information, Message = "Job {JobId}: run {RunId} ended with code {ExitCode} ({StopReason})")]
    private partial void LogRunEnded(Guid jobId, Guid runId, int exitCode, string? stopReason);
}

