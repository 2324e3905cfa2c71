using Runtime.Execution.Logs;
using Runtime.Execution.Processes;
using Runtime.Execution.Python;
using Runtime.Execution.Workloads;
using Runtime.Execution.Supervision;
using Runtime.Execution.Templates;

namespace Runtime.Execution.Agents;

/// <summary>Apps: the folder prepared, the template rendered on a free port, the process kept running by an <see cref="AppSupervisor"/>.</summary>
public sealed partial class AgentRunner
{
    private async Task StartAsync(AgentAssignment assignment, CancellationToken ct)
    {
        var workload = assignment.Workload ?? throw new InvalidDataException("the start assignment has no workload");
        if (_registry.Apps.TryGetValue(assignment.Id, out var known))
        {
            // Delivered again after this agent restarted and took the app over: when it is ready the start is done;
            // otherwise the start that runs again reports it.
            if (known.Ready && known.Supervisor.Workload is { } running)
            {
                await channel.ReportAsync(Report(assignment.Id, AgentEvents.Ready, address: settings.Address(known.Port)));
                await channel.CompleteAsync(assignment.Id, true, new { pid = running.Handle.Pid, containerId = running.Handle.ContainerId, port = known.Port });
            }
            return;
        }
        if (!_registry.Preparing.TryAdd(assignment.Id, 0))
            return;
        if (_registry.Stopped.TryRemove(assignment.Id, out _))
        {
            _registry.Preparing.TryRemove(assignment.Id, out _);
            await channel.CompleteAsync(assignment.Id, false, new { reason = StoppedWhileStarting });
            return;
        }
        var clock = time.GetTimestamp();
        var phases = new Dictionary<string, long>();
        var directory = Folder(assignment);
        WorkloadRecord record;
        AppSupervisor supervisor;
        try
        {
            var limits = executors.Limits(workload.Execution, null, run: false);
            var bin = await PrepareAsync(directory, assignment.WorkloadId, workload, limits.Executor, phases, ct);
            if (_registry.Stopped.TryRemove(assignment.Id, out _))
            {
                // Stopped while it was being prepared: that stop was reported then.
                Remove(directory);
                await channel.CompleteAsync(assignment.Id, false, new { reason = StoppedWhileStarting });
                return;
            }
            record = new WorkloadRecord(assignment.Id, AssignmentKinds.Start, assignment.WorkloadId, workload, directory, bin, FreePort.Next(), 0, 0,
                time.GetUtcNow(), settings.Owner, assignment.Attempt, Executor: limits.Executor);
            record.Save();
            supervisor = Supervise(record);
            _registry.Apps[assignment.Id] = new WorkloadRegistry.App(assignment.Id, assignment.WorkloadId, supervisor, directory, record.Port);
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            // The agent is stopping: the start is handed out again.
            Remove(directory);
            throw;
        }
        catch (ExecutionRequestException e)
        {
            await FailStartAsync(assignment.Id, directory, $"this agent cannot run it as its project asks: {e.Message}");
            return;
        }
        catch (PythonEnvironmentException e)
        {
            LogEnvironmentFailed(assignment.WorkloadId, workload.Python.Interpreter);
            await FailStartAsync(assignment.Id, directory, $"{BuildFailed(workload.Python)}: {new SecretMask(workload.Secrets).Apply(e.Message)}");
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
            _registry.Preparing.TryRemove(assignment.Id, out _);
        }
        await LaunchAsync(record, supervisor, restartReason: null, phases, clock);
    }

    // Stops an app this runner runs and deletes its folder; false when it runs no such app.
    private async Task<bool> StopAppAsync(Guid assignmentId)
    {
        if (!_registry.Apps.TryRemove(assignmentId, out var app))
            return false;
        await app.Supervisor.StopAsync("stopped");
        Remove(app.Directory);
        LogStopped(app.WorkloadId, assignmentId);
        return true;
    }

    // Starts the app; a first start is reported ready (or failed) and completed, a start again reported as restarted (or failed).
    private async Task LaunchAsync(WorkloadRecord record, AppSupervisor supervisor, string? restartReason, Dictionary<string, long>? phases = null, long? clock = null)
    {
        var started = clock ?? time.GetTimestamp();
        var outcome = await supervisor.StartAsync();
        var id = record.AssignmentId;
        if (outcome == StartOutcome.Ready && _registry.Stopped.TryRemove(id, out _) && _registry.Apps.TryRemove(id, out _))
        {
            // The stop came just before the app was listed as running: it was reported, so the app ends here.
            await supervisor.StopAsync("stopped");
            Remove(record.Directory);
            outcome = StartOutcome.Stopped;
        }
        if (outcome == StartOutcome.Stopped || !_registry.Apps.ContainsKey(id))
        {
            // Stopped while starting: by its owner (the stop ended it and reported it), or with the agent (the start
            // is handed out again, or the record's note tells the next agent).
            if (restartReason is null && !_stopping)
                await channel.CompleteAsync(id, false, new { reason = StoppedWhileStarting });
            return;
        }
        if (outcome == StartOutcome.Failed)
        {
            _registry.Apps.TryRemove(id, out _);
            var reason = restartReason is null ? supervisor.FailureReason! : $"{restartReason}, and the app could not be started again: {supervisor.FailureReason}";
            LogFailed(record.WorkloadId, id, reason.Split('\n')[0]);
            if (restartReason is null)
                await FailStartAsync(id, record.Directory, reason);
            else
            {
                Remove(record.Directory);
                await channel.ReportAsync(Report(id, AgentEvents.Failed, reason: reason));
            }
            return;
        }

        var process = supervisor.Workload!.Handle;
        record = record.With(process) with { Ready = true };
        record.Save();
        if (_registry.Apps.TryGetValue(id, out var listed))
            listed.Ready = true;
        if (restartReason is null)
        {
            await channel.ReportAsync(Report(id, AgentEvents.Ready, address: settings.Address(record.Port)));
            var times = new Dictionary<string, long>(phases ?? [])
            {
                ["processStartMs"] = (long)supervisor.LastSpawn.TotalMilliseconds,
                ["firstHealthyMs"] = (long)supervisor.LastReady.TotalMilliseconds,
            };
            await channel.CompleteAsync(id, true, new { pid = process.Pid, containerId = process.ContainerId, port = record.Port, phases = times });
            LogReady(record.WorkloadId, id, settings.Address(record.Port), (long)time.GetElapsedTime(started).TotalMilliseconds);
        }
        else
        {
            LogStartedAgain(record.WorkloadId, id, process.ToString());
            await channel.ReportAsync(Report(id, AgentEvents.Restarted, reason: restartReason));
        }
        _ = WatchAsync(record, supervisor);
    }

    // Watches a ready app until it is stopped or has failed for good.
    private async Task WatchAsync(WorkloadRecord record, AppSupervisor supervisor)
    {
        var reason = await supervisor.SuperviseAsync();
        if (reason is not null && _registry.Apps.TryRemove(record.AssignmentId, out _))
        {
            LogFailed(record.WorkloadId, record.AssignmentId, reason.Split('\n')[0]);
            Remove(record.Directory);
            await channel.ReportAsync(Report(record.AssignmentId, AgentEvents.Failed, reason: reason));
        }
    }

    private async Task FailStartAsync(Guid assignmentId, string directory, string reason)
    {
        Remove(directory);
        await channel.ReportAsync(Report(assignmentId, AgentEvents.Failed, reason: reason));
        await channel.CompleteAsync(assignmentId, false, new { reason = reason.Split('\n')[0] });
    }

    // A stopping silo ends its apps; the note written once each process is gone tells the next agent to take it over at once.
    private async Task StopAppsForShutdownAsync()
    {
        foreach (var app in _registry.Apps.Values)
        {
            if (!_registry.Apps.TryRemove(app.AssignmentId, out _))
                continue;
            await app.Supervisor.StopAsync("agent stopping");
            if (WorkloadRecord.Read(Path.Combine(app.Directory, WorkloadRecord.FileName)) is { } record)
            {
                (record with { LeftByStop = true }).Save();
                LogLeftForNextStart(app.WorkloadId, app.AssignmentId);
            }
        }
    }

    // The supervisor of one app, from its record: the same command line on the same port after a restart or a take-over.
    private AppSupervisor Supervise(WorkloadRecord record)
    {
        var workload = record.Workload;
        var limits = executors.Limits(workload.Execution, null, run: false) with { Executor = record.Executor };
        var inContainer = record.Executor == Docker.DockerExecutor.ExecutorName;
        // In a container the app listens on every interface: its port is published on the host's loopback.
        var app = AppTemplates.Render(new TemplateInput(workload.AppType, workload.Path, record.Port, inContainer ? "0.0.0.0" : settings.BindHost, workload.BasePath,
            record.AppDirectory, record.VenvBin));
        var environment = new Dictionary<string, string>(workload.Environment);
        foreach (var (key, value) in app.Environment)
            environment[key] = value;
        environment["RUNTIME_PROFILE"] = workload.Profile;
        var process = Limited(new ProcessSpec(record.WorkloadId, app.Command, record.AppDirectory, environment, workload.Secrets,
            OutputDirectory: record.OutputDirectory), record, limits, [record.Port]);
        // Probed on loopback: the app listens there whether it binds to loopback or to every interface.
        var health = app.HealthUri(record.Port);
        var path = Path.Combine(record.Directory, WorkloadRecord.FileName);
        // The record as last saved (ready or not), with the process or container now running.
        void Recorded(WorkloadHandle handle, bool? ready = null)
        {
            var latest = WorkloadRecord.Read(path) ?? record;
            (latest.With(handle) with { Ready = ready ?? latest.Ready }).Save();
        }
        return new AppSupervisor(executors.For(record.Executor), process, health, options, _probe, channel.Logs, logger, $"workload {record.WorkloadId} ({record.AssignmentId})")
        {
            // Recorded as soon as it is spawned: if the agent dies before the app is ready, the next one can end it.
            Spawned = spawned => Recorded(spawned),
            Restarted = async (restarted, reason) =>
            {
                Recorded(restarted, ready: true);
                await channel.ReportAsync(Report(record.AssignmentId, AgentEvents.Restarted, reason: reason));
            },
        };
    }
}
