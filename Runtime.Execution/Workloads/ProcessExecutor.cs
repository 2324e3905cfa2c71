using Runtime.Execution.Logs;
using Runtime.Execution.Processes;

namespace Runtime.Execution.Workloads;

/// <summary>
/// The embedded default: each workload a child process in its own session and process group
/// (<see cref="ProcessWorkload"/>). The container-only parts of a spec (image, network, ports, mounts,
/// tmpfs, CPU, labels) are validated but have no effect here.
/// </summary>
public sealed class ProcessExecutor : IWorkloadExecutor
{
    public const string ExecutorName = "process";

    public string Name => ExecutorName;

    public Task<IRunningWorkload> StartAsync(ProcessSpec spec, ILogSink sink, CancellationToken ct) =>
        Task.FromResult<IRunningWorkload>(ProcessWorkload.Start(spec, sink));

    public Task<IRunningWorkload?> AdoptAsync(ProcessSpec spec, WorkloadHandle handle, ILogSink sink, CancellationToken ct)
    {
        if (handle.Executor != ExecutorName)
            throw new ArgumentException($"The handle is of the {handle.Executor} executor, not of the {ExecutorName} executor.", nameof(handle));
        return Task.FromResult<IRunningWorkload?>(handle.Pid > 0 ? ProcessWorkload.Adopt(spec, handle.Pid, handle.StartTime, sink) : null);
    }
}
