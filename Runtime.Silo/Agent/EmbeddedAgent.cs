using Runtime.Execution.Supervision;
using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text.Json;
using Microsoft.Extensions.Options;
using Npgsql;
using Runtime.Execution.Health;
using Runtime.Execution.Processes;
using Runtime.Execution.Python;
using Runtime.Execution.Templates;
using Runtime.Grains;
using Runtime.Grains.Assignments;
using Runtime.Grains.Blobs;
using Runtime.Grains.Silos;
using Runtime.Grains.Jobs;
using Runtime.Grains.Projects;
using Runtime.Grains.PythonEnvironments;
using Runtime.Grains.Secrets;
using Runtime.Grains.Settings;

namespace Runtime.Silo.Agent;

/// <summary>
/// The agent of the default environment, embedded in every silo: claims its assignments, unpacks the
/// revision, builds or reuses its Python environment, starts the app from its template under an
/// <see cref="AppSupervisor"/> and reports to the project; stops workloads when asked. Apps whose
/// silo died are adopted (still running) or started again by the next agent on the machine.
/// </summary>
public sealed partial class EmbeddedAgent(
    AssignmentQueue queue,
    DeliverySignals signals,
    SiloIdentity silo,
    Orleans.IGrainFactory grains,
    IBlobStore blobs,
    PythonEnvironmentStore pythonEnvironments,
    VenvBuilder venvs,
    SecretCipher cipher,
    NpgsqlDataSource dataSource,
    LogShipper logs,
    IConfiguration configuration,
    IOptions<AgentOptions> options,
    TimeProvider time,
    ILogger<EmbeddedAgent> logger) : BackgroundService
{
    private static readonly TimeSpan Lease = TimeSpan.FromMinutes(5);
    private static readonly TimeSpan OrphanScan = TimeSpan.FromSeconds(10);

    // About five minutes of tries, 5 s apart once backed off: longer than any failover.
    private const int ReportAttempts = 64;

    private readonly ConcurrentDictionary<Guid, Running> _running = new();

    /// <summary>Starts and runs asked to stop while they were being prepared (or, for a run, while it stops).</summary>
    private readonly ConcurrentDictionary<Guid, byte> _stopped = new();
    private readonly HealthProbe _probe = new();

    /// <summary>This silo as the owner of what it runs; known once <see cref="ExecuteAsync"/> has read the installation's id.</summary>
    private RecordOwner _owner = null!;

    /// <summary>The names of this installation that records may carry: its id, and the database address older records used.</summary>
    private string[] _clusters = [];

    /// <param name="Grain">The app's owner: a project, or an interactive job.</param>
    private sealed record Running(Guid AssignmentId, GrainId Grain, AppSupervisor Supervisor, string Directory);

    private string AgentId => silo.Id.ToString("D");

    private string Workloads => Path.Combine(AgentOptions.DataDirectory(configuration), "workloads");

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (!await KnowOwnerAsync(stoppingToken))
            return;
        TimeSpan? lastScan = null;
        var clock = Stopwatch.StartNew();
        while (!stoppingToken.IsCancellationRequested)
        {
            if (lastScan is null || clock.Elapsed - lastScan >= OrphanScan)
            {
                lastScan = clock.Elapsed;
                await AdoptOrphansAsync(stoppingToken);
            }
            IReadOnlyList<Assignment> claimed;
            try
            {
                claimed = [
                    .. await queue.ClaimAsync(ProjectGrain.AgentQueue(ProjectGrain.DefaultEnvironment, AgentId), AgentId, 8, Lease, stoppingToken),
                    .. await queue.ClaimAsync(ProjectGrain.DefaultEnvironment, AgentId, 8, Lease, stoppingToken),
                ];
            }
            catch (Exception e) when (e is NpgsqlException or TimeoutException)
            {
                LogClaimFailed(e);
                claimed = [];
            }
            catch (OperationCanceledException)
            {
                return;
            }
            foreach (var assignment in claimed)
                _ = Task.Run(() => HandleAsync(assignment, stoppingToken), CancellationToken.None);
            if (claimed.Count == 0)
            {
                try
                {
                    await signals.Assignments.WaitAsync(OrphanScan / 2, time, stoppingToken);
                }
                catch (OperationCanceledException)
                {
                    return;
                }
            }
        }
    }

    private async Task HandleAsync(Assignment assignment, CancellationToken ct)
    {
        try
        {
            switch (assignment.Kind)
            {
                case "start":
                    await StartAsync(assignment, assignment.Spec.Deserialize<StartSpec>(GrainJson.Options)!, ct);
                    break;
                case "stop":
                    await StopWorkloadAsync(assignment, assignment.Spec.GetProperty("assignmentId").GetGuid());
                    break;
                case "run":
                    await RunAsync(assignment, assignment.Spec.Deserialize<RunSpec>(GrainJson.Options)!, ct);
                    break;
                default:
                    LogUnknownKind(assignment.Kind, assignment.Id);
                    await queue.CompleteAsync(assignment.Id, AgentId, false, null, CancellationToken.None);
                    break;
            }
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            LogAssignmentFailed(e, assignment.Kind, assignment.Id, assignment.Grain);
            if (assignment.Kind == "run")
                await ReportRunEndedAsync(assignment.Spec.Deserialize<RunSpec>(GrainJson.Options)!, -1, $"the agent could not run it: {e.Message}", null);
            else
                await Report(assignment.Grain, p => p.WorkloadFailed(assignment.Id, $"the agent could not run it: {e.Message}"));
            await queue.CompleteAsync(assignment.Id, AgentId, false, null, CancellationToken.None);
        }
    }

    private async Task StartAsync(Assignment assignment, StartSpec spec, CancellationToken ct)
    {
        var clock = Stopwatch.StartNew();
        var phases = new Dictionary<string, long>();
        void Phase(string name) => phases[name] = (long)clock.Elapsed.TotalMilliseconds - phases.Values.Sum();

        // One directory per claim: an earlier claim's agent may have died while starting, leaving its app to the orphan scan.
        var directory = Path.Combine(Workloads, spec.ProjectId.ToString("D"), $"{spec.Revision[..12]}-{assignment.Id:N}-{assignment.Attempt}");
        await UnpackAsync(spec.Archive, Path.Combine(directory, "app"), ct);
        Phase("unpackMs");

        PythonEnvironment python;
        try
        {
            python = await PythonAsync(assignment.Grain, assignment.WorkloadId, spec.WorkspaceId, spec.PythonEnvironment, ct);
        }
        catch (PythonEnvironmentException e)
        {
            LogEnvironmentFailed(assignment.Grain, spec.PythonEnvironment);
            await FailStartAsync(assignment, directory, $"building the Python environment '{spec.PythonEnvironment}' failed: {e.Message}");
            return;
        }
        Phase("venvMs");
        if (_stopped.TryRemove(assignment.Id, out _))
        {
            // Stopped while it was being prepared: the owner was told then.
            Remove(directory);
            await queue.CompleteAsync(assignment.Id, AgentId, false, JsonSerializer.SerializeToElement(new { reason = "stopped while starting" }), CancellationToken.None);
            return;
        }

        var record = new WorkloadRecord(assignment.Id, assignment.Grain, assignment.WorkloadId, spec, directory, python.Bin, FreePort.Next(),
            0, 0, _owner, assignment.Attempt);
        var supervisor = Supervise(record);
        _running[assignment.Id] = new Running(assignment.Id, assignment.Grain, supervisor, directory);
        var outcome = await supervisor.StartAsync();
        Phase("processStartAndReadyMs");
        if (_stopped.TryRemove(assignment.Id, out _) && _running.TryRemove(assignment.Id, out _))
        {
            // The stop came just before the app was listed as running: it was told, so it ends here.
            await supervisor.StopAsync("stopped");
            Remove(directory);
            outcome = StartOutcome.Stopped;
        }
        if ((outcome == StartOutcome.Stopped || !_running.ContainsKey(assignment.Id)) && _siloStopping)
        {
            // This silo is stopping: its claim goes back to the queue (SiloMembership) for another agent.
            return;
        }
        if (outcome == StartOutcome.Stopped || !_running.ContainsKey(assignment.Id))
        {
            // Stopped while starting: the stop assignment has ended it and told the project.
            await queue.CompleteAsync(assignment.Id, AgentId, false, JsonSerializer.SerializeToElement(new { reason = "stopped while starting" }), CancellationToken.None);
            return;
        }
        if (outcome == StartOutcome.Failed)
        {
            _running.TryRemove(assignment.Id, out _);
            await FailStartAsync(assignment, directory, supervisor.FailureReason!);
            return;
        }

        var workload = supervisor.Workload!;
        record = record with { Pid = workload.Pid, StartTime = workload.StartTime };
        record.Save();
        phases.Remove("processStartAndReadyMs");
        phases["processStartMs"] = (long)supervisor.LastSpawn.TotalMilliseconds;
        phases["firstHealthyMs"] = (long)supervisor.LastReady.TotalMilliseconds;
        await Report(assignment.Grain, p => p.WorkloadReady(assignment.Id, Address(record)));
        await queue.CompleteAsync(assignment.Id, AgentId, true, JsonSerializer.SerializeToElement(new { pid = workload.Pid, port = record.Port, phases }), CancellationToken.None);
        LogReady(assignment.Grain, clock.ElapsedMilliseconds);
        _ = RunAsync(record, supervisor);
    }

    private async Task FailStartAsync(Assignment assignment, string directory, string reason)
    {
        Remove(directory);
        await Report(assignment.Grain, p => p.WorkloadFailed(assignment.Id, reason));
        await queue.CompleteAsync(assignment.Id, AgentId, false, JsonSerializer.SerializeToElement(new { reason = reason.Split('\n')[0] }), CancellationToken.None);
    }

    // The supervisor of one app, from its record: the same command line on the same port after a restart or an adoption.
    private AppSupervisor Supervise(WorkloadRecord record)
    {
        var spec = record.Spec;
        var app = AppTemplates.Render(new TemplateInput(spec.AppType, spec.Path, record.Port, "127.0.0.1", spec.BasePath,
            Path.Combine(record.Directory, "app"), record.VenvBin));
        // Decrypted only now, held only by the workload's own process environment.
        var settings = WorkloadEnvironment.Decrypt(cipher, spec.SettingsOwner, spec.Profile, spec.Settings);
        // An interactive job's configuration files, (re)written for each start; their secret values are masked too.
        var secrets = settings.Secrets.Concat(WriteConfiguration(spec.ProjectId, spec.Configuration, Path.Combine(record.Directory, "app"))).Distinct().ToList();
        var platform = app.Environment.Append(KeyValuePair.Create("RUNTIME_PROFILE", spec.Profile));
        var process = new ProcessSpec(record.WorkloadId, app.Command, Path.Combine(record.Directory, "app"), settings.With(platform), secrets,
            MemoryLimit: options.Value.MemoryLimitBytes, OutputDirectory: Path.Combine(record.Directory, "output"));
        var health = app.HealthUri(record.Port);
        var current = record;
        return new AppSupervisor(process, health, options.Value, _probe, logs, logger, record.Grain.ToString())
        {
            Spawned = workload => (current = current with { Pid = workload.Pid, StartTime = workload.StartTime }).Save(),
            Restarted = async (workload, reason) =>
            {
                current = current with { Pid = workload.Pid, StartTime = workload.StartTime };
                current.Save();
                await Report(record.Grain, p => p.WorkloadRestarted(record.AssignmentId, reason));
            },
        };
    }

    // Watches a ready app until it is stopped or has failed for good.
    private async Task RunAsync(WorkloadRecord record, AppSupervisor supervisor)
    {
        var reason = await supervisor.SuperviseAsync();
        if (reason is not null && _running.TryRemove(record.AssignmentId, out _))
        {
            LogFailed(record.Grain, reason.Split('\n')[0]);
            Remove(record.Directory);
            await Report(record.Grain, p => p.WorkloadFailed(record.AssignmentId, reason));
        }
    }

    private async Task StopWorkloadAsync(Assignment assignment, Guid startAssignment)
    {
        if (_runs.TryGetValue(startAssignment, out var run))
        {
            // A batch run's end is reported by the run itself, as cancelled.
            _stopped[startAssignment] = 0;
            await run.StopAsync(RunCancelled);
        }
        else
        {
            if (_running.TryRemove(startAssignment, out var running))
            {
                await running.Supervisor.StopAsync("stopped");
                Remove(running.Directory);
            }
            else
                _stopped[startAssignment] = 0; // still being prepared: it will not start
            await Report(assignment.Grain, o => o.WorkloadStopped(startAssignment));
        }
        await queue.CompleteAsync(assignment.Id, AgentId, true, null, CancellationToken.None);
    }

    // The project's Python environment, built on first use and reused after; its build output goes to the project's log.
    private async Task<PythonEnvironment> PythonAsync(GrainId grain, string workloadId, Guid workspaceId, string name, CancellationToken ct)
    {
        var environment = await pythonEnvironments.FindAsync(workspaceId, name, ct)
            ?? throw new PythonEnvironmentException($"the workspace has no Python environment '{name}'");
        var interpreter = environment.Interpreter == PythonEnvironmentStore.AgentInterpreter ? options.Value.Python : environment.Interpreter;
        var built = await venvs.EnsureAsync(new PythonEnvironmentSpec(interpreter, environment.Requirements, environment.InheritSystemPackages),
            line => logs.Write(new Execution.Logs.LogLine(workloadId, "build", DateTimeOffset.UtcNow, line)), ct);
        if (!built.Reused)
            LogEnvironmentBuilt(grain, name, built.Key, (long)built.Took.TotalMilliseconds);
        return built;
    }

    private async Task UnpackAsync(string archive, string directory, CancellationToken ct)
    {
        Directory.CreateDirectory(directory);
        await using var blob = await blobs.OpenReadAsync(archive, ct) ?? throw new InvalidOperationException($"revision archive {archive} is missing from the store");
        var tar = new ProcessStartInfo("tar") { RedirectStandardInput = true, RedirectStandardError = true };
        foreach (var argument in new[] { "-xzf", "-", "-C", directory, "--no-same-owner" })
            tar.ArgumentList.Add(argument);
        using var process = Process.Start(tar)!;
        await blob.CopyToAsync(process.StandardInput.BaseStream, ct);
        process.StandardInput.Close();
        var error = await process.StandardError.ReadToEndAsync(ct);
        await process.WaitForExitAsync(ct);
        if (process.ExitCode != 0)
            throw new InvalidOperationException($"unpacking the revision failed: {error.Trim()}");
    }

    private static string Address(WorkloadRecord record) => $"http://127.0.0.1:{record.Port}";

    private void Remove(string directory)
    {
        try
        {
            if (Directory.Exists(directory))
                Directory.Delete(directory, recursive: true);
        }
        catch (IOException e)
        {
            LogCleanupFailed(e, directory);
        }
    }

    // An app's owner: its project, or the interactive job whose run it is.
    private Task Report(GrainId owner, Func<IWorkloadOwner, Task> call) => ReportAsync(owner.ToString(), () => call(WorkloadOwners.Of(grains, owner)));

    private Task Report<TGrain>(Guid key, Func<TGrain, Task> call) where TGrain : Orleans.IGrainWithGuidKey =>
        ReportAsync($"{typeof(TGrain).Name}/{key:D}", () => call(grains.GetGrain<TGrain>(key)));

    // A report is what the agent did: it must reach its grain, which applies it once (by assignment or
    // run id). While that grain moves off a silo that died, the call fails; it is tried again.
    private async Task ReportAsync(string owner, Func<Task> call)
    {
        var delay = TimeSpan.FromMilliseconds(200);
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                await call();
                return;
            }
            catch (NotFoundException)
            {
                return; // deleted meanwhile: nothing to tell
            }
            catch (Exception e) when (e is Orleans.Runtime.OrleansException or TimeoutException && attempt < ReportAttempts)
            {
                LogReportRetried(e, owner, attempt);
                await Task.Delay(delay, time);
                delay = TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, TimeSpan.FromSeconds(5).Ticks));
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Reporting to {Owner} failed (attempt {Attempt}); trying again")]
    private partial void LogReportRetried(Exception error, string owner, int attempt);

    [LoggerMessage(Level = LogLevel.Information, Message = "{Grain}: built Python environment {Environment} ({Key}) in {Milliseconds} ms")]
    private partial void LogEnvironmentBuilt(GrainId grain, string environment, string key, long milliseconds);

    [LoggerMessage(Level = LogLevel.Warning, Message = "{Grain}: building Python environment {Environment} failed; the build log is in the project's log")]
    private partial void LogEnvironmentFailed(GrainId grain, string environment);

    [LoggerMessage(Level = LogLevel.Information, Message = "{Grain} is ready after {Milliseconds} ms")]
    private partial void LogReady(GrainId grain, long milliseconds);

    [LoggerMessage(Level = LogLevel.Warning, Message = "{Grain} failed for good: {Reason}")]
    private partial void LogFailed(GrainId grain, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not remove workload folder {Directory}")]
    private partial void LogCleanupFailed(Exception error, string directory);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not claim assignments; retrying")]
    private partial void LogClaimFailed(Exception error);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Assignment {AssignmentId} has unknown kind {Kind}")]
    private partial void LogUnknownKind(string kind, Guid assignmentId);

    [LoggerMessage(Level = LogLevel.Error, Message = "Assignment {Kind} {AssignmentId} for {Grain} failed")]
    private partial void LogAssignmentFailed(Exception error, string kind, Guid assignmentId, GrainId grain);
}
