using System.Text.Json;
using Npgsql;

namespace Runtime.Grains.Assignments;

/// <summary>Stopping what a start assignment began, from inside the grain that owns it.</summary>
public static class WorkloadStops
{
    /// <summary>The queue of one agent of an environment, for work only that agent can do (stopping what it runs).</summary>
    public static string AgentQueue(string environment, string agentId) => $"{environment}@{agentId}";

    /// <summary>Withdraws an assignment no agent has claimed yet; false when one has (or it is gone).</summary>
    public static async Task<bool> WithdrawAsync(Engine.CallContext context, Guid assignment)
    {
        await using var withdraw = context.CreateCommand("DELETE FROM assignments WHERE id = $1 AND status IN ('held', 'pending')");
        withdraw.Parameters.Add(new NpgsqlParameter { Value = assignment });
        return await withdraw.ExecuteNonQueryAsync() == 1;
    }

    /// <summary>
    /// Withdraws a start no agent has claimed (true), or asks the agent that claimed it to stop the
    /// workload (false; the agent reports when it has).
    /// </summary>
    public static async Task<bool> StopAsync(Engine.CallContext context, Guid assignment, string environment, string workloadId)
    {
        if (await WithdrawAsync(context, assignment))
            return true;
        // Only the agent that claimed the start runs the workload: the stop goes to it.
        await using var holder = context.CreateCommand("SELECT claimed_by FROM assignments WHERE id = $1");
        holder.Parameters.Add(new NpgsqlParameter { Value = assignment });
        var agent = await holder.ExecuteScalarAsync() as string;
        context.Assign(new AssignmentRequest(agent is null ? environment : AgentQueue(environment, agent), workloadId, "stop",
            JsonSerializer.SerializeToElement(new { assignmentId = assignment })));
        return false;
    }
}
