using System.Diagnostics;
using Microsoft.Extensions.Options;
using Npgsql;
using Runtime.Execution.Agents;
using Runtime.Execution.Python;
using Runtime.Execution.Supervision;
using Runtime.Execution.Workloads;
using Runtime.Grains.Assignments;
using Runtime.Grains.Projects;
using Runtime.Grains.Silos;

namespace Runtime.Silo.Agent;

/// <summary>
/// The agent of the built-in environment, embedded in every silo: the <see cref="AgentRunner"/> fed by the
/// <see cref="InProcessChannel"/>. It claims its assignments from PostgreSQL (woken when one is queued), resolves
/// them with the one spec resolver, and every 10 s takes over workloads of the installation whose silo died or
/// was stopped. A silo asked to stop ends its apps (leaving a note for the next agent of the installation, a
/// sibling at once or this machine's next silo) and its runs, and writes nothing else to the database.
/// </summary>
public sealed partial class EmbeddedAgent(
    AssignmentQueue queue,
    DeliverySignals signals,
    SiloIdentity silo,
    AgentWorkloads workloads,
    InProcessChannel channel,
    VenvBuilder venvs,
    ExecutionOptions execution,
    NpgsqlDataSource dataSource,
    IConfiguration configuration,
    IOptions<AgentOptions> options,
    TimeProvider time,
    ILoggerFactory loggers) : BackgroundService
{
    private static readonly TimeSpan Lease = TimeSpan.FromMinutes(5);
    private static readonly TimeSpan OrphanScan = TimeSpan.FromSeconds(10);
    private static readonly TimeSpan OwnerRetry = TimeSpan.FromSeconds(2);

    private readonly ILogger _logger = loggers.CreateLogger<EmbeddedAgent>();

    /// <summary>Known once <see cref="ExecuteAsync"/> has read the installation's id; until then the agent does nothing.</summary>
    private volatile AgentRunner? _runner;

    private WorkloadExecutors? _executors;

    private string AgentId => silo.Id.ToString("D");

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (await KnowOwnerAsync(stoppingToken) is not { } owner)
            return;
        var settings = new RunnerSettings(AgentOptions.DataDirectory(configuration), "127.0.0.1", configuration["Runtime:Api:Url"]?.TrimEnd('/') is { Length: > 0 } api ? api : null,
            owner, [owner.Cluster], StopsWorkloadsOnShutdown: true, SharesDataDirectory: true, Host: "silo", HostGone: "died");
        // Containers are labelled with the installation: any silo of it on the machine finds them again.
        var executors = _executors = await WorkloadExecutors.CreateAsync(execution, owner.Cluster, loggers, stoppingToken);
        var runner = _runner = new AgentRunner(channel, settings, executors, venvs, options.Value, time, loggers.CreateLogger<AgentRunner>());
        TimeSpan? lastScan = null;
        var clock = Stopwatch.StartNew();
        while (!stoppingToken.IsCancellationRequested)
        {
            if (lastScan is null || clock.Elapsed - lastScan >= OrphanScan)
            {
                lastScan = clock.Elapsed;
                await runner.AdoptOrphansAsync(stoppingToken);
            }
            IReadOnlyList<AgentAssignment> claimed;
            try
            {
                IReadOnlyList<Assignment> assignments =
                [
                    .. await queue.ClaimAsync(ProjectGrain.AgentQueue(ProjectGrain.DefaultEnvironment, AgentId), AgentId, 8, Lease, stoppingToken),
                    .. await queue.ClaimAsync(ProjectGrain.DefaultEnvironment, AgentId, 8, Lease, stoppingToken),
                ];
                foreach (var assignment in assignments)
                    channel.Claimed(assignment);
                claimed = await workloads.ResolveClaimedAsync(assignments, AgentId, stoppingToken);
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
                _ = Task.Run(() => runner.HandleAsync(assignment, stoppingToken), CancellationToken.None);
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

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        var loop = base.StopAsync(cancellationToken);
        // At once, not after the loop: an app being started again waits for no readiness timeout.
        var stopping = _runner?.ShutdownAsync() ?? Task.CompletedTask;
        await loop;
        await stopping;
        if (_runner is { } runner)
        {
            await runner.ShutdownAsync(); // what the last claims started meanwhile
            runner.Dispose();
        }
        _executors?.Dispose();
    }

    // The installation's id names this silo's records; until the database answers, the agent does nothing.
    private async Task<RecordOwner?> KnowOwnerAsync(CancellationToken ct)
    {
        while (true)
        {
            try
            {
                return await InstallationOwner.CurrentAsync(dataSource, ct);
            }
            catch (Exception e) when (e is NpgsqlException or TimeoutException)
            {
                LogOwnerUnknown(e);
            }
            try
            {
                await Task.Delay(OwnerRetry, time, ct);
            }
            catch (OperationCanceledException)
            {
                return null;
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not claim assignments; retrying")]
    private partial void LogClaimFailed(Exception error);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not read the installation's id from the database; trying again")]
    private partial void LogOwnerUnknown(Exception error);
}
