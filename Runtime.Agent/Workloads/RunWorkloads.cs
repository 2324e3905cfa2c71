using System.Buffers.Text;
using System.Security.Cryptography;
using System.Text;
using Runtime.Agent.Gateway;
using Runtime.Agent.Hosting;
using Runtime.Agent.Logs;
using Runtime.Execution.Agents;
using Runtime.Execution.Processes;
using Runtime.Execution.Python;
using Runtime.Execution.Supervision;
using Runtime.Execution.Templates;

namespace Runtime.Agent.Workloads;

/// <summary>
/// Batch runs, as the embedded agent runs them: a script run once to its end under the <c>batch</c> template,
/// with its own RUNTIME_RUN_TOKEN; run-started reported before it is spawned, run-ended (after its log is
/// flushed) when it ends, was cancelled or went past its time limit.
/// </summary>
internal sealed partial class RunWorkloads(
    AgentSettings settings, WorkloadPreparation preparation, WorkloadRegistry registry, Reporter reporter, LogUploader logs,
    IOptions<AgentOptions> options, TimeProvider time, ILogger<RunWorkloads> logger)
{
    public const string Cancelled = "cancelled";
    public const string AgentLost = "agent lost: the agent restarted and the run's process was gone";
    private const string ExitUnknown = "the agent restarted while the run ran, so its exit code is unknown";
    private static readonly TimeSpan LogFlush = TimeSpan.FromSeconds(10);

    public async Task RunAsync(AgentAssignment assignment, CancellationToken ct)
    {
        var workload = assignment.Workload ?? throw new InvalidDataException("the run assignment has no workload");
        if (registry.Holds(assignment.Id) || !registry.Preparing.TryAdd(assignment.Id, 0))
            return; // delivered again while this agent runs it
        var directory = preparation.Folder(assignment.Id);
        try
        {
            if (workload.RunId is not { } runId)
                throw new InvalidDataException("the run assignment has no run id");
            string bin;
            try
            {
                bin = await preparation.PrepareAsync(assignment, workload, ct);
            }
            catch (PythonEnvironmentException e)
            {
                preparation.Remove(directory);
                await reporter.CompleteAsync(assignment.Id, false, new { reason = "building the Python environment failed" });
                await reporter.ReportAsync(assignment.Id, AgentEvents.RunEnded, exitCode: -1, stopReason: $"building the Python environment failed: {e.Message}");
                return;
            }
            if (registry.Stopped.TryRemove(assignment.Id, out _))
            {
                // Cancelled while it was being prepared: that stop was reported then.
                preparation.Remove(directory);
                await reporter.CompleteAsync(assignment.Id, false, new { reason = "cancelled while starting" });
                return;
            }

            // The run's own token: it may post pipeline reports for this run, and nothing else, until the run ends.
            var token = "rr_" + Base64Url.EncodeToString(RandomNumberGenerator.GetBytes(32));
            var record = new WorkloadRecord(assignment.Id, AssignmentKinds.Run, assignment.WorkloadId, workload, directory, bin, 0, 0, 0, time.GetUtcNow(),
                RunToken: token);
            var recent = new RecentLines(logs, 20);
            await reporter.ReportAsync(assignment.Id, AgentEvents.RunStarted, tokenHash: TokenHash(token));
            var process = ProcessWorkload.Start(Spec(record, workload.TimeLimitSeconds is { } seconds ? TimeSpan.FromSeconds(seconds) : null), recent);
            registry.Runs[assignment.Id] = new WorkloadRegistry.Run(assignment.Id, assignment.WorkloadId, process);
            registry.Preparing.TryRemove(assignment.Id, out _);
            record = record with { Pid = process.Pid, StartTime = process.StartTime };
            record.Save();
            if (registry.Stopped.ContainsKey(assignment.Id))
                await process.StopAsync(Cancelled); // cancelled while it was being spawned
            LogRunStarted(assignment.WorkloadId, runId, assignment.Id, process.Pid);
            // The start is done: this agent keeps the run, and reports how it ends.
            await reporter.CompleteAsync(assignment.Id, true, new { pid = process.Pid });
            await FinishAsync(record, process, recent, adopted: false);
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            // The agent is stopping before the run started: the Api hands it out again.
            preparation.Remove(directory);
            throw;
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            LogRunFailed(e, assignment.WorkloadId, assignment.Id);
            preparation.Remove(directory);
            await reporter.CompleteAsync(assignment.Id, false, new { reason = e.Message });
            await reporter.ReportAsync(assignment.Id, AgentEvents.RunEnded, exitCode: -1, stopReason: $"the agent could not run it: {e.Message}");
        }
        finally
        {
            registry.Preparing.TryRemove(assignment.Id, out _);
        }
    }

    /// <summary>Cancels a run in progress (its run-ended says so); false when this agent runs no such run.</summary>
    public async Task<bool> CancelAsync(Guid assignmentId)
    {
        if (!registry.Runs.TryGetValue(assignmentId, out var run))
            return false;
        registry.Stopped[assignmentId] = 0;
        LogCancelling(run.WorkloadId, assignmentId);
        await run.Process.StopAsync(Cancelled);
        return true;
    }

    /// <summary>
    /// A run recorded before the agent restarted: followed to its end when its process still runs (its exit code
    /// is then unknown, -1), otherwise reported ended as lost. It is in the registry when this returns, if it runs.
    /// </summary>
    public Task AdoptAsync(WorkloadRecord record)
    {
        var limit = record.Workload.TimeLimitSeconds is { } seconds
            ? TimeSpan.FromSeconds(seconds) - (time.GetUtcNow() - record.StartedAt)
            : (TimeSpan?)null;
        var recent = new RecentLines(logs, 20);
        var process = ProcessWorkload.Adopt(Spec(record, limit is { } left ? TimeSpan.FromTicks(Math.Max(left.Ticks, TimeSpan.TicksPerSecond)) : null),
            record.Pid, record.StartTime, recent);
        if (process is null)
        {
            LogRunLost(record.WorkloadId, record.AssignmentId);
            preparation.Remove(record.Directory);
            return reporter.ReportAsync(record.AssignmentId, AgentEvents.RunEnded, exitCode: -1, stopReason: AgentLost);
        }
        registry.Runs[record.AssignmentId] = new WorkloadRegistry.Run(record.AssignmentId, record.WorkloadId, process);
        LogRunAdopted(record.WorkloadId, record.AssignmentId, record.Pid);
        return FinishAsync(record, process, recent, adopted: true);
    }

    /// <summary>RUNTIME_RUN_TOKEN as the Api keeps it: lowercase hex SHA-256 of its UTF-8 bytes.</summary>
    public static string TokenHash(string token) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(token)));

    private async Task FinishAsync(WorkloadRecord record, ProcessWorkload process, RecentLines recent, bool adopted)
    {
        var exit = await process.Exited;
        registry.Runs.TryRemove(record.AssignmentId, out _);
        registry.Stopped.TryRemove(record.AssignmentId, out _);
        await process.DisposeAsync();
        LogRunEnded(record.WorkloadId, record.AssignmentId, exit.ExitCode, exit.StopReason);
        if (!await logs.FlushAsync(LogFlush))
            LogUnflushed(record.WorkloadId);
        string? lastLines = null;
        if (adopted && exit.StopReason is null)
            lastLines = ExitUnknown + recent.Describe();
        else if (exit.StopReason is null && exit.ExitCode != 0)
            lastLines = recent.Describe();
        await reporter.ReportAsync(record.AssignmentId, AgentEvents.RunEnded, exitCode: exit.ExitCode, stopReason: exit.StopReason, lastLines: lastLines);
        preparation.Remove(record.Directory);
    }

    private ProcessSpec Spec(WorkloadRecord record, TimeSpan? timeLimit)
    {
        var workload = record.Workload;
        var app = AppTemplates.Render(new TemplateInput("batch", workload.Path, 0, settings.BindHost, "", record.AppDirectory, record.VenvBin));
        var environment = new Dictionary<string, string>(workload.Environment);
        foreach (var (key, value) in app.Environment)
            environment[key] = value;
        environment["RUNTIME_PROFILE"] = workload.Profile;
        environment["RUNTIME_RUN_ID"] = workload.RunId!.Value.ToString("D");
        environment["RUNTIME_RUN_TOKEN"] = record.RunToken!;
        environment["RUNTIME_API_URL"] = settings.ApiUrl;
        environment["PYTHONUNBUFFERED"] = "1";
        var secrets = workload.Secrets.Append(record.RunToken!).Distinct().ToList();
        return new ProcessSpec(record.WorkloadId, app.Command, record.AppDirectory, environment, secrets, timeLimit, options.Value.RunStopGrace,
            options.Value.MemoryLimitBytes, record.OutputDirectory);
    }
}
