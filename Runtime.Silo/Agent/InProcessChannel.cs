using System.Collections.Concurrent;
using System.Text.Json;
using Runtime.Execution.Agents;
using Runtime.Execution.Logs;
using Runtime.Grains;
using Runtime.Grains.Assignments;
using Runtime.Grains.Blobs;
using Runtime.Grains.Projects;
using Runtime.Grains.Silos;

namespace Runtime.Silo.Agent;

/// <summary>
/// The channel of the agent embedded in a silo: reports go straight to the owning grains (tried again while a
/// grain moves off a silo that died), completions to the assignments table, lines to the <see cref="LogShipper"/>,
/// archives from the blob store. A workload another silo left is taken over by moving its claim to this silo.
/// </summary>
public sealed partial class InProcessChannel(
    AssignmentQueue queue, Orleans.IGrainFactory grains, IBlobStore blobs, LogShipper logs, SiloIdentity silo, TimeProvider time,
    ILogger<InProcessChannel> logger) : IAgentChannel
{
    // About five minutes of tries, 5 s apart once backed off: longer than any failover.
    private const int ReportAttempts = 64;

    /// <summary>The assignments claimed here, for their reports; others (taken over) are looked up.</summary>
    private readonly ConcurrentDictionary<Guid, Assignment> _claimed = new();

    public Guid AgentId => silo.Id;

    public ILogSink Logs => logs;

    /// <summary>Called with each assignment this silo claims, before the runner handles it.</summary>
    public void Claimed(Assignment assignment) => _claimed[assignment.Id] = assignment;

    public async Task<bool> FlushLogsAsync(TimeSpan timeout)
    {
        await logs.FlushAsync(timeout);
        return true;
    }

    public async Task<Stream> OpenArchiveAsync(string hash, CancellationToken ct) =>
        await blobs.OpenReadAsync(hash, ct) ?? throw new InvalidOperationException($"revision archive {hash} is missing from the store");

    public async Task ReportAsync(AgentReport report)
    {
        var assignment = _claimed.TryGetValue(report.AssignmentId, out var known)
            ? known
            : await queue.FindAsync(report.AssignmentId, ProjectGrain.DefaultEnvironment, CancellationToken.None);
        if (assignment is null)
        {
            LogUnknownAssignment(report.Event, report.AssignmentId);
            return;
        }
        await DeliverAsync(assignment, report);
        if (report.Event is AgentEvents.RunEnded or AgentEvents.Stopped or AgentEvents.ServeEnded)
            _claimed.TryRemove(report.AssignmentId, out _);
    }

    public Task CompleteAsync(Guid assignmentId, bool succeeded, object? result) =>
        queue.CompleteAsync(assignmentId, AgentId.ToString("D"), succeeded, result is null ? null : JsonSerializer.SerializeToElement(result), CancellationToken.None);

    /// <summary>
    /// An app another silo left: its claim moves here, unless its owner moved on or another attempt of its start ran.
    /// A run is never taken over: when its silo died, its job failed it as lost.
    /// </summary>
    public async Task<bool> TakeOverAsync(WorkloadRecord record, CancellationToken ct) =>
        record.Kind != AssignmentKinds.Run && await queue.AdoptAsync(record.AssignmentId, AgentId.ToString("D"), record.Attempt, ct);

    // A report is what the agent did: it must reach its grain, which applies it once (by assignment or run id).
    // While that grain moves off a silo that died, the call fails; it is tried again.
    private async Task DeliverAsync(Assignment assignment, AgentReport report)
    {
        var delay = TimeSpan.FromMilliseconds(200);
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                if (!await AgentReports.ApplyAsync(grains, assignment, report, environment: null))
                    LogNotApplicable(report.Event, assignment.Kind, assignment.Id);
                return;
            }
            catch (NotFoundException)
            {
                return; // deleted meanwhile: nothing to tell
            }
            catch (Exception e) when (e is Orleans.Runtime.OrleansException or TimeoutException && attempt < ReportAttempts)
            {
                LogReportRetried(e, assignment.Grain, attempt);
                await Task.Delay(delay, time);
                delay = TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, TimeSpan.FromSeconds(5).Ticks));
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Reporting to {Grain} failed (attempt {Attempt}); trying again")]
    private partial void LogReportRetried(Exception error, GrainId grain, int attempt);

    [LoggerMessage(Level = LogLevel.Warning, Message = "A {Event} report names assignment {AssignmentId}, which is gone")]
    private partial void LogUnknownAssignment(string @event, Guid assignmentId);

    [LoggerMessage(Level = LogLevel.Error, Message = "A {Event} report does not apply to {Kind} assignment {AssignmentId}")]
    private partial void LogNotApplicable(string @event, string kind, Guid assignmentId);
}
