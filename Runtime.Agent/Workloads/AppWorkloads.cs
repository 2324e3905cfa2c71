using Runtime.Agent.Gateway;
using Runtime.Agent.Hosting;
using Runtime.Agent.Logs;
using Runtime.Execution.Agents;
using Runtime.Execution.Health;
using Runtime.Execution.Processes;
using Runtime.Execution.Python;
using Runtime.Execution.Supervision;
using Runtime.Execution.Templates;

namespace Runtime.Agent.Workloads;

/// <summary>
/// Apps, as the embedded agent runs them: the folder prepared, the template rendered on a free port, the
/// process kept running by an <see cref="AppSupervisor"/>; ready, failed, restarted and stopped reported to
/// the Api. The record beside each app lets the agent take it over after its own restart (<see cref="AdoptAsync"/>).
/// </summary>
internal sealed partial class AppWorkloads(
    AgentSettings settings, WorkloadPreparation preparation, WorkloadRegistry registry, Reporter reporter, LogUploader logs,
    IOptions<AgentOptions> options, TimeProvider time, ILogger<AppWorkloads> logger) : IDisposable
{
    private const string StoppedWhileStarting = "stopped while starting";
    private readonly HealthProbe _probe = new();

    public async Task StartAsync(AgentAssignment assignment, CancellationToken ct)
    {
        var workload = assignment.Workload ?? throw new InvalidDataException("the start assignment has no workload");
        if (registry.Apps.TryGetValue(assignment.Id, out var known))
        {
            // Delivered again after this agent restarted and took the app over: when it is ready the start is done;
            // otherwise the start that runs again reports it.
            if (known.Ready && known.Supervisor.Workload is { } running)
            {
                await reporter.ReportAsync(assignment.Id, AgentEvents.Ready, address: settings.Address(known.Port));
                await reporter.CompleteAsync(assignment.Id, true, new { pid = running.Pid, port = known.Port });
            }
            return;
        }
        if (!registry.Preparing.TryAdd(assignment.Id, 0))
            return;
        if (registry.Stopped.TryRemove(assignment.Id, out _))
        {
            registry.Preparing.TryRemove(assignment.Id, out _);
            await reporter.CompleteAsync(assignment.Id, false, new { reason = StoppedWhileStarting });
            return;
        }
        var directory = preparation.Folder(assignment.Id);
        WorkloadRecord record;
        AppSupervisor supervisor;
        try
        {
            var bin = await preparation.PrepareAsync(assignment, workload, ct);
            if (registry.Stopped.TryRemove(assignment.Id, out _))
            {
                // Stopped while it was being prepared: that stop was reported then.
                preparation.Remove(directory);
                await reporter.CompleteAsync(assignment.Id, false, new { reason = StoppedWhileStarting });
                return;
            }
            record = new WorkloadRecord(assignment.Id, AssignmentKinds.Start, assignment.WorkloadId, workload, directory, bin, FreePort.Next(), 0, 0, time.GetUtcNow());
            record.Save();
            supervisor = Supervise(record);
            registry.Apps[assignment.Id] = new WorkloadRegistry.App(assignment.Id, assignment.WorkloadId, supervisor, directory, record.Port);
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            // The agent is stopping: the Api hands the start out again.
            preparation.Remove(directory);
            throw;
        }
        catch (PythonEnvironmentException e)
        {
            await FailStartAsync(assignment.Id, directory, $"building the Python environment failed: {e.Message}");
            return;
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            LogStartFailed(e, assignment.WorkloadId, assignment.Id);
            await FailStartAsync(assignment.Id, directory, $"the agent could not start it: {e.Message}");
            return;
        }
        finally
        {
            registry.Preparing.TryRemove(assignment.Id, out _);
        }
        await LaunchAsync(record, supervisor, restartReason: null);
    }

    /// <summary>Stops an app this agent runs and deletes its folder; false when it runs no such app.</summary>
    public async Task<bool> StopAsync(Guid assignmentId)
    {
        if (!registry.Apps.TryRemove(assignmentId, out var app))
            return false;
        await app.Supervisor.StopAsync("stopped");
        preparation.Remove(app.Directory);
        LogStopped(app.WorkloadId, assignmentId);
        return true;
    }

    /// <summary>A stop for a start this agent does not run (yet): if that start is being prepared, or comes later, it does not start.</summary>
    public void StopBeforeStart(Guid assignmentId)
    {
        registry.Stopped[assignmentId] = 0;
        LogStoppedBeforeStart(assignmentId);
    }

    /// <summary>
    /// An app recorded before the agent restarted: taken over when its process still runs; started again on the
    /// same port when it is gone (reported as restarted), or when the agent died before it was ready (its start
    /// done again). It is in the registry when this returns; a start runs on in the background.
    /// </summary>
    public Task AdoptAsync(WorkloadRecord record)
    {
        var supervisor = Supervise(record);
        var app = registry.Apps[record.AssignmentId] = new WorkloadRegistry.App(record.AssignmentId, record.WorkloadId, supervisor, record.Directory, record.Port);
        if (record.Ready && supervisor.Adopt(record.Pid, record.StartTime))
        {
            app.Ready = true;
            LogAdopted(record.WorkloadId, record.AssignmentId, record.Pid);
            _ = WatchAsync(record, supervisor);
            return Task.CompletedTask;
        }
        if (!record.Ready && record.Pid > 0 && ProcessTable.StartTime(record.Pid) == record.StartTime)
            Signals.SendToGroup(record.Pid, Signals.SigKill); // half started when the agent died: started over below
        LogStartingAgain(record.WorkloadId, record.AssignmentId, record.Ready);
        return LaunchAsync(record, supervisor, restartReason: record.Ready ? "the agent restarted and the process was gone" : null);
    }

    public void Dispose() => _probe.Dispose();

    // Starts the app; a first start is reported ready (or failed) and completed, a start again after an agent restart reported as restarted.
    private async Task LaunchAsync(WorkloadRecord record, AppSupervisor supervisor, string? restartReason)
    {
        var clock = time.GetTimestamp();
        var outcome = await TrackAsync(record, supervisor, supervisor.StartAsync());
        var id = record.AssignmentId;
        if (outcome == StartOutcome.Ready && registry.Stopped.TryRemove(id, out _) && registry.Apps.TryRemove(id, out _))
        {
            // The stop came just before the app was listed as running: it was reported, so the app ends here.
            await supervisor.StopAsync("stopped");
            preparation.Remove(record.Directory);
            outcome = StartOutcome.Stopped;
        }
        if (outcome == StartOutcome.Stopped || !registry.Apps.ContainsKey(id))
        {
            // Stopped while starting: the stop ended it and reported it.
            if (restartReason is null)
                await reporter.CompleteAsync(id, false, new { reason = StoppedWhileStarting });
            return;
        }
        if (outcome == StartOutcome.Failed)
        {
            registry.Apps.TryRemove(id, out _);
            LogFailed(record.WorkloadId, id, supervisor.FailureReason!.Split('\n')[0]);
            if (restartReason is null)
                await FailStartAsync(id, record.Directory, supervisor.FailureReason!);
            else
            {
                preparation.Remove(record.Directory);
                await reporter.ReportAsync(id, AgentEvents.Failed, reason: supervisor.FailureReason);
            }
            return;
        }

        var process = supervisor.Workload!;
        record = record with { Pid = process.Pid, StartTime = process.StartTime, Ready = true };
        record.Save();
        if (registry.Apps.TryGetValue(id, out var listed))
            listed.Ready = true;
        if (restartReason is null)
        {
            await reporter.ReportAsync(id, AgentEvents.Ready, address: settings.Address(record.Port));
            await reporter.CompleteAsync(id, true, new
            {
                pid = process.Pid,
                port = record.Port,
                phases = new { processStartMs = (long)supervisor.LastSpawn.TotalMilliseconds, firstHealthyMs = (long)supervisor.LastReady.TotalMilliseconds },
            });
            LogReady(record.WorkloadId, id, settings.Address(record.Port), (long)time.GetElapsedTime(clock).TotalMilliseconds);
        }
        else
            await reporter.ReportAsync(id, AgentEvents.Restarted, reason: restartReason);
        _ = WatchAsync(record, supervisor);
    }

    // Watches a ready app until it is stopped or has failed for good.
    private async Task WatchAsync(WorkloadRecord record, AppSupervisor supervisor)
    {
        var reason = await supervisor.SuperviseAsync();
        if (reason is not null && registry.Apps.TryRemove(record.AssignmentId, out _))
        {
            LogFailed(record.WorkloadId, record.AssignmentId, reason.Split('\n')[0]);
            preparation.Remove(record.Directory);
            await reporter.ReportAsync(record.AssignmentId, AgentEvents.Failed, reason: reason);
        }
    }

    private async Task FailStartAsync(Guid assignmentId, string directory, string reason)
    {
        preparation.Remove(directory);
        await reporter.ReportAsync(assignmentId, AgentEvents.Failed, reason: reason);
        await reporter.CompleteAsync(assignmentId, false, new { reason = reason.Split('\n')[0] });
    }

    // While a start runs, each process it spawns goes into the record: if the agent dies before the app is ready, the next one can end it.
    private async Task<StartOutcome> TrackAsync(WorkloadRecord record, AppSupervisor supervisor, Task<StartOutcome> starting)
    {
        var recorded = 0;
        while (await Task.WhenAny(starting, Task.Delay(TimeSpan.FromMilliseconds(100), time)) != starting)
        {
            if (!record.Ready && supervisor.Workload is { } process && process.Pid != recorded && !supervisor.IsStopping)
            {
                recorded = process.Pid;
                (record with { Pid = process.Pid, StartTime = process.StartTime }).Save();
            }
        }
        return await starting;
    }

    // The supervisor of one app, from its record: the same command line on the same port after a restart or an adoption.
    private AppSupervisor Supervise(WorkloadRecord record)
    {
        var workload = record.Workload;
        var app = AppTemplates.Render(new TemplateInput(workload.AppType, workload.Path, record.Port, settings.BindHost, workload.BasePath,
            record.AppDirectory, record.VenvBin));
        var environment = new Dictionary<string, string>(workload.Environment);
        foreach (var (key, value) in app.Environment)
            environment[key] = value;
        environment["RUNTIME_PROFILE"] = workload.Profile;
        var process = new ProcessSpec(record.WorkloadId, app.Command, record.AppDirectory, environment, workload.Secrets,
            MemoryLimit: options.Value.MemoryLimitBytes, OutputDirectory: record.OutputDirectory);
        // Probed on loopback: the app listens there whether it binds to loopback or to every interface.
        var health = app.HealthUri(record.Port);
        var current = record;
        return new AppSupervisor(process, health, options.Value, _probe, logs, logger, $"workload {record.WorkloadId} ({record.AssignmentId})")
        {
            Restarted = async (restarted, reason) =>
            {
                current = current with { Pid = restarted.Pid, StartTime = restarted.StartTime, Ready = true };
                current.Save();
                await reporter.ReportAsync(record.AssignmentId, AgentEvents.Restarted, reason: reason);
            },
        };
    }
}
