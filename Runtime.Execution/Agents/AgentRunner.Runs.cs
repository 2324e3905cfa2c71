using Runtime.Execution.Logs;
using System.Buffers.Text;
using System.Security.Cryptography;
using System.Text;
using Runtime.Execution.Processes;
using Runtime.Execution.Python;
using Runtime.Execution.Supervision;
using Runtime.Execution.Templates;
using Runtime.Execution.Workloads;

namespace Runtime.Execution.Agents;

/// <summary>
/// Batch runs: a script run once to its end under the <c>batch</c> template, with its own RUNTIME_RUN_TOKEN;
/// run-started reported before it is spawned, run-ended (after its log is flushed) when it ends, was cancelled
/// or went past its time limit.
/// </summary>
public sealed partial class AgentRunner
{
    public const string RunCancelled = "cancelled";
    public const string RunAgentLost = "agent lost: the agent restarted and the run's process was gone";
    private const string ExitUnknown = "the agent restarted while the run ran, so its exit code is unknown";
    private static readonly TimeSpan LogFlush = TimeSpan.FromSeconds(10);

    private async Task RunAsync(AgentAssignment assignment, CancellationToken ct)
    {
        var workload = assignment.Workload ?? throw new InvalidDataException("the run assignment has no workload");
        if (_registry.Holds(assignment.Id) || !_registry.Preparing.TryAdd(assignment.Id, 0))
            return; // delivered again while this agent runs it
        var handled = new TaskCompletionSource();
        _registry.RunHandlers[assignment.Id] = handled.Task;
        var directory = Folder(assignment);
        try
        {
            if (workload.RunId is not { } runId)
                throw new InvalidDataException("the run assignment has no run id");
            var limits = executors.Limits(workload.Execution, workload.TimeLimitSeconds is { } seconds ? TimeSpan.FromSeconds(seconds) : null, run: true);
            string? bin;
            try
            {
                bin = await PrepareAsync(directory, assignment.WorkloadId, workload, limits.Executor, [], ct);
            }
            catch (PythonEnvironmentException e)
            {
                Remove(directory);
                await channel.CompleteAsync(assignment.Id, false, new { reason = BuildFailed(workload.Python) });
                await channel.ReportAsync(Report(assignment.Id, AgentEvents.RunEnded, exitCode: -1, stopReason: $"{BuildFailed(workload.Python)}: {new SecretMask(workload.Secrets).Apply(e.Message)}"));
                return;
            }
            if (_registry.Stopped.TryRemove(assignment.Id, out _))
            {
                // Cancelled while it was being prepared: that stop was reported then.
                Remove(directory);
                await channel.CompleteAsync(assignment.Id, false, new { reason = "cancelled while starting" });
                return;
            }

            // The run's own token: it may post pipeline reports for this run, and nothing else, until the run ends.
            var token = "rr_" + Base64Url.EncodeToString(RandomNumberGenerator.GetBytes(32));
            var record = new WorkloadRecord(assignment.Id, AssignmentKinds.Run, assignment.WorkloadId, workload, directory, bin, 0, 0, 0, time.GetUtcNow(),
                settings.Owner, assignment.Attempt, RunToken: token, Executor: limits.Executor);
            // Recorded before it starts: a container an agent starts is never one nobody knows of.
            record.Save();
            var recent = new RecentLines(channel.Logs, 20);
            await channel.ReportAsync(Report(assignment.Id, AgentEvents.RunStarted, tokenHash: TokenHash(token)));
            IRunningWorkload process;
            try
            {
                process = await executors.For(limits.Executor).StartAsync(RunSpec(record, limits), recent, ct);
            }
            catch (WorkloadStartException e)
            {
                Remove(directory);
                await channel.CompleteAsync(assignment.Id, false, new { reason = e.Message });
                await channel.ReportAsync(Report(assignment.Id, AgentEvents.RunEnded, exitCode: -1, stopReason: $"the run could not be started: {e.Message}"));
                return;
            }
            _registry.Runs[assignment.Id] = new WorkloadRegistry.Run(assignment.Id, assignment.WorkloadId, process);
            _registry.Preparing.TryRemove(assignment.Id, out _);
            record = record.With(process.Handle);
            record.Save();
            if (_registry.Stopped.ContainsKey(assignment.Id))
                await process.StopAsync(RunCancelled); // cancelled while it was being spawned
            LogRunStarted(assignment.WorkloadId, runId, assignment.Id, process.Handle.ToString());
            // The start is done: this agent keeps the run, and reports how it ends.
            await channel.CompleteAsync(assignment.Id, true, new { pid = process.Handle.Pid, containerId = process.Handle.ContainerId });
            await FinishRunAsync(record, process, recent, adopted: false);
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            // The agent is stopping before the run started: it is handed out again.
            Remove(directory);
            throw;
        }
        catch (ExecutionRequestException e)
        {
            Remove(directory);
            await channel.CompleteAsync(assignment.Id, false, new { reason = e.Message });
            await channel.ReportAsync(Report(assignment.Id, AgentEvents.RunEnded, exitCode: -1, stopReason: $"this agent cannot run it as its job asks: {e.Message}"));
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            LogRunFailed(e, assignment.WorkloadId, assignment.Id);
            Remove(directory);
            await channel.CompleteAsync(assignment.Id, false, new { reason = e.Message });
            await channel.ReportAsync(Report(assignment.Id, AgentEvents.RunEnded, exitCode: -1, stopReason: $"the agent could not run it: {e.Message}"));
        }
        finally
        {
            _registry.Preparing.TryRemove(assignment.Id, out _);
            _registry.RunHandlers.TryRemove(assignment.Id, out _);
            handled.TrySetResult();
        }
    }

    // Cancels a run in progress (its run-ended says so); false when this runner runs no such run.
    private async Task<bool> CancelRunAsync(Guid assignmentId)
    {
        if (!_registry.Runs.TryGetValue(assignmentId, out var run))
            return false;
        _registry.Stopped[assignmentId] = 0;
        LogCancelling(run.WorkloadId, assignmentId);
        await run.Process.StopAsync(RunCancelled);
        return true;
    }

    /// <summary>
    /// A run recorded by an agent that is gone, taken over: followed to its end when its process still runs (its
    /// exit code is then unknown, -1), otherwise reported ended as lost.
    /// </summary>
    private async Task AdoptRunAsync(WorkloadRecord record)
    {
        var limits = executors.Limits(record.Workload.Execution, record.Workload.TimeLimitSeconds is { } seconds ? TimeSpan.FromSeconds(seconds) : null, run: true)
            with { Executor = record.Executor };
        // What is left of its time limit.
        if (limits.TimeLimit is { } whole)
            limits = limits with { TimeLimit = TimeSpan.FromTicks(Math.Max((whole - (time.GetUtcNow() - record.StartedAt)).Ticks, TimeSpan.TicksPerSecond)) };
        var recent = new RecentLines(channel.Logs, 20);
        var process = await executors.For(record.Executor).AdoptAsync(RunSpec(record, limits), record.Handle, recent, CancellationToken.None);
        if (process is null)
        {
            LogRunLost(record.WorkloadId, record.AssignmentId);
            Remove(record.Directory);
            await channel.ReportAsync(Report(record.AssignmentId, AgentEvents.RunEnded, exitCode: -1, stopReason: RunAgentLost));
            return;
        }
        _registry.Runs[record.AssignmentId] = new WorkloadRegistry.Run(record.AssignmentId, record.WorkloadId, process);
        LogRunAdopted(record.WorkloadId, record.AssignmentId, record.Handle.ToString());
        var handled = new TaskCompletionSource();
        _registry.RunHandlers[record.AssignmentId] = handled.Task;
        try
        {
            await FinishRunAsync(record, process, recent, adopted: true);
        }
        finally
        {
            _registry.RunHandlers.TryRemove(record.AssignmentId, out _);
            handled.TrySetResult();
        }
    }

    /// <summary>RUNTIME_RUN_TOKEN as the control plane keeps it: lowercase hex SHA-256 of its UTF-8 bytes.</summary>
    public static string TokenHash(string token) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(token)));

    private async Task FinishRunAsync(WorkloadRecord record, IRunningWorkload process, RecentLines recent, bool adopted)
    {
        var exit = await process.Exited;
        _registry.Runs.TryRemove(record.AssignmentId, out _);
        _registry.Stopped.TryRemove(record.AssignmentId, out _);
        await process.DisposeAsync();
        LogRunEnded(record.WorkloadId, record.AssignmentId, exit.ExitCode, exit.StopReason);
        if (!await channel.FlushLogsAsync(LogFlush))
            LogUnflushed(record.WorkloadId);
        string? lastLines = null;
        if (adopted && exit.StopReason is null)
            lastLines = ExitUnknown + recent.Describe();
        else if (exit.StopReason is null && exit.ExitCode != 0)
            lastLines = recent.Describe();
        await channel.ReportAsync(Report(record.AssignmentId, AgentEvents.RunEnded, exitCode: exit.ExitCode, stopReason: exit.StopReason, lastLines: lastLines));
        Remove(record.Directory);
    }

    // A stopping silo stops its runs and waits (a while) until each has reported how it ended.
    private async Task StopRunsForShutdownAsync()
    {
        foreach (var run in _registry.Runs.Values)
            await run.Process.StopAsync($"agent stopped: the {settings.Host} running it was shut down", TimeSpan.FromSeconds(5));
        await Task.WhenAny(Task.WhenAll(_registry.RunHandlers.Values), Task.Delay(TimeSpan.FromSeconds(10)));
    }

    private ProcessSpec RunSpec(WorkloadRecord record, ExecutionLimits limits)
    {
        var workload = record.Workload;
        var app = AppTemplates.Render(new TemplateInput("batch", workload.Path, 0, settings.BindHost, "", record.AppDirectory, record.VenvBin));
        var environment = new Dictionary<string, string>(workload.Environment);
        foreach (var (key, value) in app.Environment)
            environment[key] = value;
        environment["RUNTIME_PROFILE"] = workload.Profile;
        environment["RUNTIME_RUN_ID"] = workload.RunId!.Value.ToString("D");
        environment["RUNTIME_RUN_TOKEN"] = record.RunToken!;
        if (settings.ApiUrl is { } apiUrl)
            environment["RUNTIME_API_URL"] = apiUrl;
        environment["PYTHONUNBUFFERED"] = "1";
        var secrets = workload.Secrets.Append(record.RunToken!).Distinct().ToList();
        return Limited(new ProcessSpec(record.WorkloadId, app.Command, record.AppDirectory, environment, secrets, limits.TimeLimit, options.RunStopGrace,
            OutputDirectory: record.OutputDirectory), record, limits, ports: null) with { TimeLimit = limits.TimeLimit };
    }
}
