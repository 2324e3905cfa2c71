namespace Runtime.Execution.Docker;

/// <summary>The labels that tie a container to Runtime: what workload it is and which agent started it.</summary>
public static class ContainerLabels
{
    /// <summary>The workload's id (<see cref="Processes.ProcessSpec.Id"/>).</summary>
    public const string Workload = "runtime.workload";

    /// <summary>The id of the agent that started it, for the orphan sweep at that agent's start.</summary>
    public const string Agent = "runtime.agent";

    public static bool IsReserved(string key) => key is Workload or Agent;
}
