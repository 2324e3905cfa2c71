namespace Runtime.Execution.Workloads;

/// <summary>
/// A workload could not be started for a reason that starting it again will not fix (the Docker engine
/// does not answer, the image is missing); the message says what to do.
/// </summary>
public sealed class WorkloadStartException(string message, Exception? inner = null) : Exception(message, inner);
