using System.Text.Json;
using Microsoft.Extensions.Logging;
using Runtime.Execution.Agents;
using Runtime.Grains.Configurations;
using Runtime.Grains.Jobs;
using Runtime.Grains.Projects;
using Runtime.Grains.PythonEnvironments;
using Runtime.Grains.Secrets;
using Runtime.Grains.Settings;

namespace Runtime.Grains.Assignments;

/// <summary>
/// The one spec resolver: turns a claimed assignment into what an agent runs, whichever channel it came by
/// (a silo's agent in-process, a remote agent over the gateway): the settings and configuration files
/// decrypted (the assignments table keeps them encrypted; they reach a remote agent only over its
/// authenticated connection), the Python environment resolved.
/// </summary>
public sealed partial class AgentWorkloads(
    SecretCipher cipher, PythonEnvironmentStore pythonEnvironments, AssignmentQueue queue, Orleans.IGrainFactory grains, ILogger<AgentWorkloads> logger)
{
    /// <summary>
    /// The claimed assignments for the agent <paramref name="agentId"/>. What cannot be resolved (a Python environment
    /// deleted meanwhile) fails at once, told to its owner, instead of reaching the agent.
    /// </summary>
    public async Task<IReadOnlyList<AgentAssignment>> ResolveClaimedAsync(IReadOnlyList<Assignment> claimed, string agentId, CancellationToken ct)
    {
        var resolved = new List<AgentAssignment>();
        foreach (var assignment in claimed)
        {
            try
            {
                resolved.Add(await ResolveAsync(assignment, ct));
            }
            catch (InvalidOperationException e)
            {
                LogUnresolvable(assignment.Id, assignment.Grain, e.Message);
                await queue.CompleteAsync(assignment.Id, agentId, false, null, CancellationToken.None);
                var reason = $"the agent could not run it: {e.Message}";
                if (assignment.Kind == "run")
                    await grains.GetGrain<IJobGrain>(JobOf(assignment)).RunEnded(RunOf(assignment), -1, reason, null);
                else
                    await WorkloadOwners.Of(grains, assignment.Grain).WorkloadFailed(assignment.Id, reason);
            }
        }
        return resolved;
    }

    /// <summary>The assignment for the agent; throws <see cref="InvalidOperationException"/> when it cannot be resolved (the agent cannot run it).</summary>
    public async Task<AgentAssignment> ResolveAsync(Assignment assignment, CancellationToken ct)
    {
        switch (assignment.Kind)
        {
            case "stop":
                return new AgentAssignment(assignment.Id, "stop", assignment.WorkloadId, null, assignment.Spec.GetProperty("assignmentId").GetGuid(), Attempt: assignment.Attempt);
            case "check":
                return new AgentAssignment(assignment.Id, "check", assignment.WorkloadId, null, null, assignment.Spec.Deserialize<AgentChecks>(GrainJson.Options), assignment.Attempt);
            case "start":
            {
                var spec = assignment.Spec.Deserialize<StartSpec>(GrainJson.Options)!;
                var settings = WorkloadEnvironment.Decrypt(cipher, spec.SettingsOwner, spec.Profile, spec.Settings);
                var configuration = DecryptedConfiguration.Decrypt(cipher, spec.ProjectId, spec.Configuration);
                return new AgentAssignment(assignment.Id, "start", assignment.WorkloadId, new AgentWorkload(
                    spec.AppType, spec.Path, spec.BasePath, spec.Archive, spec.Profile, settings.Variables, [.. settings.Secrets, .. configuration.Secrets],
                    Files(configuration), await PythonAsync(spec.WorkspaceId, spec.PythonEnvironment, ct), null, null, Interactive: assignment.Grain.Type == "job",
                    Execution: Of(spec.Execution)),
                    null, Attempt: assignment.Attempt);
            }
            case "run":
            {
                var spec = assignment.Spec.Deserialize<RunSpec>(GrainJson.Options)!;
                var settings = WorkloadEnvironment.Decrypt(cipher, ProjectGrain.SettingsOwner(spec.ProjectId), spec.Profile, spec.Settings);
                var configuration = DecryptedConfiguration.Decrypt(cipher, spec.ProjectId, spec.Configuration);
                return new AgentAssignment(assignment.Id, "run", assignment.WorkloadId, new AgentWorkload(
                    "batch", spec.Path, "", spec.Archive, spec.Profile, settings.Variables, [.. settings.Secrets, .. configuration.Secrets],
                    Files(configuration), await PythonAsync(spec.WorkspaceId, spec.PythonEnvironment, ct), (int)spec.TimeLimit.TotalSeconds, spec.RunId,
                    Execution: Of(spec.Execution)),
                    null, Attempt: assignment.Attempt);
            }
            default:
                throw new InvalidOperationException($"assignment kind '{assignment.Kind}' is not one an agent runs");
        }
    }

    private static AgentExecution? Of(Execution.ExecutionChoice? choice) =>
        choice is null ? null : new AgentExecution(choice.Executor, choice.MemoryMb, choice.CpuPercent, choice.TmpfsMb, choice.Image);

    private static Dictionary<string, string> Files(DecryptedConfiguration configuration) =>
        configuration.Files.ToDictionary(f => ".dlt/" + f.Key, f => f.Value, StringComparer.Ordinal);

    private async Task<AgentPython> PythonAsync(Guid workspaceId, string name, CancellationToken ct)
    {
        var environment = await pythonEnvironments.FindAsync(workspaceId, name, ct)
            ?? throw new InvalidOperationException($"the workspace has no Python environment '{name}'");
        return new AgentPython(environment.Interpreter, environment.Requirements, environment.InheritSystemPackages, name);
    }

    /// <summary>The run a "run" assignment is for.</summary>
    public static Guid RunOf(Assignment assignment) => assignment.Spec.GetProperty("runId").GetGuid();

    /// <summary>The job a "run" assignment reports to.</summary>
    public static Guid JobOf(Assignment assignment) => Guid.Parse(assignment.Grain.Key);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Assignment {AssignmentId} for {Grain} cannot go to an agent: {Reason}")]
    private partial void LogUnresolvable(Guid assignmentId, GrainId grain, string reason);
}
