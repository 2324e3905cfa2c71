using Microsoft.Extensions.Logging;
using Runtime.Execution.Docker;
using Runtime.Execution.Workloads;

namespace Runtime.Execution.Agents;

/// <summary>
/// The executors an agent runner chooses from, and the operator's execution settings (<see cref="ExecutionOptions"/>).
/// The process executor is always there; the docker executor when it is not switched off and an engine answered at
/// the agent's start. A workload runs in a container when its project or job asks for <c>docker</c>, or when the
/// operator made docker the default (<c>DOCKER_ENABLED=true</c>); otherwise as a process.
/// </summary>
public sealed class WorkloadExecutors(ExecutionOptions options, DockerExecutor? docker, string? dockerUnavailable, DockerEngine? engine = null) : IDisposable
{
    private readonly ProcessExecutor _process = new();

    public ExecutionOptions Options => options;

    /// <summary>The docker executor, or null when there is none here (<see cref="DockerUnavailable"/> says why).</summary>
    public DockerExecutor? Docker => docker;

    public string? DockerUnavailable => dockerUnavailable;

    /// <summary>Only the process executor, with the default settings: for hosts and tests that run no containers.</summary>
    public static WorkloadExecutors ProcessOnly(ExecutionOptions? options = null) => new(options ?? new ExecutionOptions { DockerEnabled = false }, null, "DOCKER_ENABLED is false");

    /// <summary>
    /// The executors of an agent labelled <paramref name="agentLabel"/> on its containers (the same across its restarts, so
    /// that it finds its containers again): docker when it is not switched off and the engine answers.
    /// </summary>
    public static async Task<WorkloadExecutors> CreateAsync(ExecutionOptions options, string agentLabel, ILoggerFactory loggers, CancellationToken ct)
    {
        if (options.DockerEnabled == false)
            return new WorkloadExecutors(options, null, "DOCKER_ENABLED is false");
        var engine = new DockerEngine(options.DockerHost);
        var status = await engine.CheckAsync(ct);
        if (!status.Available)
        {
            engine.Dispose();
            var logger = loggers.CreateLogger<WorkloadExecutors>();
            if (options.DockerEnabled == true)
                logger.LogWarning("DOCKER_ENABLED is true but the Docker engine does not answer ({Reason}); docker workloads fail until it does and the agent restarts", status.Reason);
            else
                logger.LogInformation("No Docker engine answers ({Reason}); workloads run as processes", status.Reason);
            return new WorkloadExecutors(options, null, status.Reason);
        }
        var settings = new DockerExecutorSettings(agentLabel, options.DockerImage, options.AutoBuildImage);
        return new WorkloadExecutors(options, new DockerExecutor(engine, new DockerImages(engine), settings, loggers.CreateLogger<DockerExecutor>()), null, engine);
    }

    /// <summary>
    /// What a workload gets: the operator's limits tightened by its project's or job's request, and the executor it asked
    /// for (the installation's default when it did not), with the time limit the lower of the job's and the operator's.
    /// </summary>
    /// <exception cref="ExecutionRequestException">It asks for more than this agent allows, or for docker where there is none.</exception>
    /// <param name="timeLimit">A run's own time limit; null for an app, which runs until it is stopped.</param>
    public ExecutionLimits Limits(AgentExecution? request, TimeSpan? timeLimit, bool run)
    {
        var executor = request?.Executor ?? (options.DockerEnabled == true ? DockerExecutor.ExecutorName : ProcessExecutor.ExecutorName);
        var limits = ExecutionLimits.Combine(options, new ExecutionRequest(executor, request?.MemoryMb, request?.CpuPercent, null, request?.TmpfsMb), docker is not null);
        var time = !run ? null : (timeLimit, options.Timeout) switch
        {
            ({ } job, { } most) => job < most ? job : most,
            (var job, var most) => job ?? most,
        };
        return limits with { TimeLimit = time };
    }

    /// <summary>The executor of that name (<see cref="ExecutionLimits.Executor"/>, or a record's handle).</summary>
    public IWorkloadExecutor For(string executor) => executor == DockerExecutor.ExecutorName
        ? docker ?? throw new WorkloadStartException($"This agent runs no containers: {dockerUnavailable}.")
        : _process;

    public void Dispose() => engine?.Dispose();
}
