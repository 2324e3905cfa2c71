using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text.Json;
using Microsoft.Extensions.Options;
using Runtime.Execution.Health;
using Runtime.Execution.Logs;
using Runtime.Execution.Processes;
using Runtime.Execution.Python;
using Runtime.Execution.Templates;
using Runtime.Grains;
using Runtime.Grains.Assignments;
using Runtime.Grains.Blobs;
using Runtime.Grains.Delivery;
using Runtime.Grains.Projects;
using Runtime.Grains.PythonEnvironments;
using Runtime.Grains.Secrets;
using Runtime.Grains.Settings;

namespace Runtime.Silo.Agent;

/// <summary>
/// The agent of the default environment, embedded in every silo: claims its assignments, unpacks the
/// revision, starts the app from its template, waits until it answers its health probe and reports
/// to the project; stops workloads when asked.
/// </summary>
public sealed partial class EmbeddedAgent(
    AssignmentQueue queue,
    DeliverySignals signals,
    SiloIdentity silo,
    IGrainFactory grains,
    IBlobStore blobs,
    PythonEnvironmentStore pythonEnvironments,
    VenvBuilder venvs,
    SecretCipher cipher,
    LogShipper logs,
    IConfiguration configuration,
    IOptions<AgentOptions> options,
    TimeProvider time,
    ILogger<EmbeddedAgent> logger) : BackgroundService
{
    private static readonly TimeSpan Lease = TimeSpan.FromMinutes(5);

    private readonly ConcurrentDictionary<Guid, Running> _running = new();
    private readonly HttpProbe _probe = new();

    private sealed record Running(Guid AssignmentId, GrainId Project, ProcessWorkload Workload);

    private string AgentId => silo.Id.ToString("D");

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            IReadOnlyList<Assignment> claimed;
            try
            {
                claimed = [
                    .. await queue.ClaimAsync(ProjectGrain.AgentQueue(ProjectGrain.DefaultEnvironment, AgentId), AgentId, 8, Lease, stoppingToken),
                    .. await queue.ClaimAsync(ProjectGrain.DefaultEnvironment, AgentId, 8, Lease, stoppingToken),
                ];
            }
            catch (Exception e) when (e is Npgsql.NpgsqlException or TimeoutException)
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
                    await signals.Assignments.WaitAsync(TimeSpan.FromSeconds(5), time, stoppingToken);
                }
                catch (OperationCanceledException)
                {
                    return;
                }
            }
        }
    }

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        await base.StopAsync(cancellationToken);
        // Re-adoption after a restart is not built yet: stop what runs and say so, rather than leave orphans.
        foreach (var running in _running.Values)
        {
            _running.TryRemove(running.AssignmentId, out _);
            await running.Workload.StopAsync("silo stopping");
            await Report(running.Project, p => p.WorkloadFailed(running.AssignmentId, "the silo running the app stopped; start the project again"));
        }
        _probe.Dispose();
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
                default:
                    LogUnknownKind(assignment.Kind, assignment.Id);
                    await queue.CompleteAsync(assignment.Id, AgentId, false, null, CancellationToken.None);
                    break;
            }
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            LogAssignmentFailed(e, assignment.Kind, assignment.Id, assignment.Grain);
            await Report(assignment.Grain, p => p.WorkloadFailed(assignment.Id, $"the agent could not run it: {e.Message}"));
            await queue.CompleteAsync(assignment.Id, AgentId, false, null, CancellationToken.None);
        }
    }

    private async Task StartAsync(Assignment assignment, StartSpec spec, CancellationToken ct)
    {
        var clock = Stopwatch.StartNew();
        var phases = new Dictionary<string, long>();
        void Phase(string name)
        {
            phases[name] = (long)clock.Elapsed.TotalMilliseconds - phases.Values.Sum();
        }
        var directory = Path.Combine(DataDirectory, "workloads", spec.ProjectId.ToString("D"), $"{spec.Revision[..12]}-{assignment.Id:N}");
        await UnpackAsync(spec.Archive, directory, ct);
        Phase("unpackMs");

        PythonEnvironment python;
        try
        {
            python = await PythonAsync(assignment, spec, ct);
        }
        catch (PythonEnvironmentException e)
        {
            var reason = $"building the Python environment '{spec.PythonEnvironment}' failed: {e.Message}";
            LogEnvironmentFailed(assignment.Grain, spec.PythonEnvironment);
            await Report(assignment.Grain, p => p.WorkloadFailed(assignment.Id, reason));
            await queue.CompleteAsync(assignment.Id, AgentId, false, JsonSerializer.SerializeToElement(new { reason }), CancellationToken.None);
            return;
        }
        Phase("venvMs");

        var port = FreePort.Next();
        var basePath = $"/apps/{spec.WorkspaceSlug}/{spec.Slug}";
        var app = AppTemplates.Render(new TemplateInput(spec.AppType, spec.Path, port, "127.0.0.1", basePath, directory, python.Bin));
        // Decrypted only now, held only by the workload's own process environment.
        var settings = WorkloadEnvironment.Decrypt(cipher, spec.SettingsOwner, spec.Profile, spec.Settings);
        var environment = new Dictionary<string, string>(settings.Variables, StringComparer.Ordinal);
        foreach (var (key, value) in app.Environment)
            environment[key] = value;
        var recent = new RecentLines(logs, 20);
        var workload = ProcessWorkload.Start(new ProcessSpec(assignment.WorkloadId, app.Command, directory, environment, settings.Secrets), recent);
        LogStarted(assignment.Grain, spec.Revision[..12], workload.Pid, port);
        _running[assignment.Id] = new Running(assignment.Id, assignment.Grain, workload);
        Phase("processStartMs");

        var healthy = app.HealthPath is null || await _probe.WaitReadyAsync(new Uri($"http://127.0.0.1:{port}{app.HealthPath}"), options.Value.ReadinessTimeout, workload.Exited, ct);
        if (!_running.ContainsKey(assignment.Id))
        {
            // Stopped while starting: the stop assignment has ended it and told the project.
            await queue.CompleteAsync(assignment.Id, AgentId, false, JsonSerializer.SerializeToElement(new { reason = "stopped while starting" }), CancellationToken.None);
            return;
        }
        if (!healthy)
        {
            _running.TryRemove(assignment.Id, out _);
            var reason = workload.Exited.IsCompleted
                ? $"the app exited with code {(await workload.Exited).ExitCode} while starting"
                : $"the app did not answer its health probe ({app.HealthPath}) within {options.Value.ReadinessTimeout.TotalSeconds:0} s";
            await workload.StopAsync("not ready");
            await Report(assignment.Grain, p => p.WorkloadFailed(assignment.Id, reason + recent.Describe()));
            await queue.CompleteAsync(assignment.Id, AgentId, false, JsonSerializer.SerializeToElement(new { reason }), CancellationToken.None);
            return;
        }

        Phase("firstHealthyMs");
        await Report(assignment.Grain, p => p.WorkloadReady(assignment.Id, $"http://127.0.0.1:{port}"));
        await queue.CompleteAsync(assignment.Id, AgentId, true, JsonSerializer.SerializeToElement(new { pid = workload.Pid, port, phases }), CancellationToken.None);
        LogReady(assignment.Grain, clock.ElapsedMilliseconds);
        _ = WatchAsync(assignment, workload, recent);
    }

    // An app that ends without being asked to has crashed.
    private async Task WatchAsync(Assignment assignment, ProcessWorkload workload, RecentLines recent)
    {
        var exit = await workload.Exited;
        if (exit.StopReason is null && _running.TryRemove(assignment.Id, out _))
        {
            LogCrashed(assignment.Grain, exit.ExitCode);
            await Report(assignment.Grain, p => p.WorkloadFailed(assignment.Id, $"the app exited with code {exit.ExitCode}" + recent.Describe()));
        }
    }

    private async Task StopWorkloadAsync(Assignment assignment, Guid startAssignment)
    {
        if (_running.TryRemove(startAssignment, out var running))
            await running.Workload.StopAsync("stopped");
        await Report(assignment.Grain, p => p.WorkloadStopped(startAssignment));
        await queue.CompleteAsync(assignment.Id, AgentId, true, null, CancellationToken.None);
    }

    // The project's Python environment, built on first use and reused after; its build output goes to the project's log.
    private async Task<PythonEnvironment> PythonAsync(Assignment assignment, StartSpec spec, CancellationToken ct)
    {
        var environment = await pythonEnvironments.FindAsync(spec.WorkspaceId, spec.PythonEnvironment, ct)
            ?? throw new PythonEnvironmentException($"the workspace has no Python environment '{spec.PythonEnvironment}'");
        var interpreter = environment.Interpreter == PythonEnvironmentStore.AgentInterpreter ? options.Value.Python : environment.Interpreter;
        var built = await venvs.EnsureAsync(new PythonEnvironmentSpec(interpreter, environment.Requirements, environment.InheritSystemPackages),
            line => logs.Write(new LogLine(assignment.WorkloadId, "build", DateTimeOffset.UtcNow, line)), ct);
        if (!built.Reused)
            LogEnvironmentBuilt(assignment.Grain, spec.PythonEnvironment, built.Key, (long)built.Took.TotalMilliseconds);
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

    private async Task Report(GrainId project, Func<IProjectGrain, Task> call)
    {
        try
        {
            await call(grains.Get<IProjectGrain>(Guid.Parse(project.Key)));
        }
        catch (NotFoundException)
        {
            // The project was deleted meanwhile: nothing to tell.
        }
    }

    private string DataDirectory => AgentOptions.DataDirectory(configuration);

    /// <summary>Passes lines on to the shipper and keeps the last few for failure reasons.</summary>
    private sealed class RecentLines(ILogSink next, int keep) : ILogSink
    {
        private readonly ConcurrentQueue<string> _lines = new();

        public void Write(LogLine line)
        {
            next.Write(line);
            _lines.Enqueue(line.Text);
            while (_lines.Count > keep)
                _lines.TryDequeue(out _);
        }

        public string Describe() => _lines.IsEmpty ? "" : "; last lines:\n" + string.Join('\n', _lines.TakeLast(10));
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Started {Project} revision {Revision} as pid {Pid} on port {Port}")]
    private partial void LogStarted(GrainId project, string revision, int pid, int port);

    [LoggerMessage(Level = LogLevel.Information, Message = "{Project}: built Python environment {Environment} ({Key}) in {Milliseconds} ms")]
    private partial void LogEnvironmentBuilt(GrainId project, string environment, string key, long milliseconds);

    [LoggerMessage(Level = LogLevel.Warning, Message = "{Project}: building Python environment {Environment} failed; the build log is in the project's log")]
    private partial void LogEnvironmentFailed(GrainId project, string environment);

    [LoggerMessage(Level = LogLevel.Information, Message = "{Project} is ready after {Milliseconds} ms")]
    private partial void LogReady(GrainId project, long milliseconds);

    [LoggerMessage(Level = LogLevel.Warning, Message = "{Project}'s app exited on its own with code {ExitCode}")]
    private partial void LogCrashed(GrainId project, int exitCode);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not claim assignments; retrying")]
    private partial void LogClaimFailed(Exception error);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Assignment {AssignmentId} has unknown kind {Kind}")]
    private partial void LogUnknownKind(string kind, Guid assignmentId);

    [LoggerMessage(Level = LogLevel.Error, Message = "Assignment {Kind} {AssignmentId} for {Project} failed")]
    private partial void LogAssignmentFailed(Exception error, string kind, Guid assignmentId, GrainId project);
}
