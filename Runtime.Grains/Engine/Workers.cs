using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using Orleans;
using Orleans.Concurrency;
using Runtime.Grains.Activities;

namespace Runtime.Grains.Engine;

/// <summary>Runs a grain's activity (slow work such as a git fetch) outside any grain's turn; its handler reports back by calling the grain.</summary>
[Alias("runtime.activity")]
public interface IActivityWorker : Orleans.IGrainWithGuidKey
{
    Task Run(string kind, string payload, string ownerType, string ownerKey);
}

/// <summary>Makes a grain's assignment claimable once the grain's state that emitted it is written.</summary>
[Alias("runtime.assignments")]
public interface IAssignmentRelease : Orleans.IGrainWithGuidKey
{
    Task Release(Guid assignmentId);
}

/// <summary>Activities run here, as many at once as callers send (one activation per call in flight on each silo).</summary>
[StatelessWorker]
public sealed class ActivityWorker(ActivityRegistry activities) : Grain, IActivityWorker
{
    public async Task Run(string kind, string payload, string ownerType, string ownerKey)
    {
        // The handler's reports are calls of their own, not this message delivered again.
        Orleans.Runtime.RequestContext.Remove(GrainKeys.MessageId);
        var registration = activities.Find(kind) ?? throw new InvalidOperationException($"No activity '{kind}' is registered on this silo.");
        var value = System.Text.Json.JsonSerializer.Deserialize(payload, registration.PayloadType, GrainJson.Options)!;
        var handler = ServiceProvider.GetRequiredService(registration.HandlerType);
        await registration.RunAsync(handler, value, new ActivityRun(new GrainId(ownerType, ownerKey), GrainFactory), CancellationToken.None);
    }
}

/// <summary>Releases held assignments: from then on agents may claim them.</summary>
[StatelessWorker]
public sealed class AssignmentRelease(NpgsqlDataSource dataSource) : Grain, IAssignmentRelease
{
    public async Task Release(Guid assignmentId)
    {
        // Only a held one: an assignment withdrawn before its release stays withdrawn.
        await using var command = dataSource.CreateCommand("""
            WITH released AS (
                UPDATE assignments SET status = 'pending', available_at = now() WHERE id = $1 AND status = 'held' RETURNING environment_id)
            SELECT pg_notify($2, environment_id) FROM released
            """);
        command.Parameters.Add(new NpgsqlParameter { Value = assignmentId });
        command.Parameters.Add(new NpgsqlParameter { Value = Channels.Assignments });
        await command.ExecuteNonQueryAsync();
    }
}
