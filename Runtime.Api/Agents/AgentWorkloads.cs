using System.Text.Json;
using Runtime.Execution.Agents;
using Runtime.Grains;
using Runtime.Grains.Assignments;
using Runtime.Grains.Configurations;
using Runtime.Grains.Jobs;
using Runtime.Grains.Projects;
using Runtime.Grains.PythonEnvironments;
using Runtime.Grains.Secrets;
using Runtime.Grains.Settings;

namespace Runtime.Api.Agents;

/// <summary>
/// Turns a claimed assignment into what a remote agent runs: the settings and configuration files
/// decrypted (the assignments table keeps them encrypted; they cross the wire to the agent only, over
/// its authenticated connection), the Python environment resolved.
/// </summary>
public sealed class AgentWorkloads(SecretCipher cipher, PythonEnvironmentStore pythonEnvironments)
{
    /// <summary>The assignment for the agent; throws <see cref="InvalidOperationException"/> when it cannot be resolved (the agent cannot run it).</summary>
    public async Task<AgentAssignment> ResolveAsync(Assignment assignment, CancellationToken ct)
    {
        switch (assignment.Kind)
        {
            case "stop":
                return new AgentAssignment(assignment.Id, "stop", assignment.WorkloadId, null, assignment.Spec.GetProperty("assignmentId").GetGuid());
            case "check":
                return new AgentAssignment(assignment.Id, "check", assignment.WorkloadId, null, null, assignment.Spec.Deserialize<AgentChecks>(GrainJson.Options));
            case "start":
            {
                var spec = assignment.Spec.Deserialize<StartSpec>(GrainJson.Options)!;
                var settings = WorkloadEnvironment.Decrypt(cipher, spec.SettingsOwner, spec.Profile, spec.Settings);
                var configuration = DecryptedConfiguration.Decrypt(cipher, spec.ProjectId, spec.Configuration);
                return new AgentAssignment(assignment.Id, "start", assignment.WorkloadId, new AgentWorkload(
                    spec.AppType, spec.Path, spec.BasePath, spec.Archive, spec.Profile, settings.Variables, [.. settings.Secrets, .. configuration.Secrets],
                    Files(configuration), await PythonAsync(spec.WorkspaceId, spec.PythonEnvironment, ct), null, null), null);
            }
            case "run":
            {
                var spec = assignment.Spec.Deserialize<RunSpec>(GrainJson.Options)!;
                var settings = WorkloadEnvironment.Decrypt(cipher, ProjectGrain.SettingsOwner(spec.ProjectId), spec.Profile, spec.Settings);
                var configuration = DecryptedConfiguration.Decrypt(cipher, spec.ProjectId, spec.Configuration);
                return new AgentAssignment(assignment.Id, "run", assignment.WorkloadId, new AgentWorkload(
                    "batch", spec.Path, "", spec.Archive, spec.Profile, settings.Variables, [.. settings.Secrets, .. configuration.Secrets],
                    Files(configuration), await PythonAsync(spec.WorkspaceId, spec.PythonEnvironment, ct), (int)spec.TimeLimit.TotalSeconds, spec.RunId), null);
            }
            default:
                throw new InvalidOperationException($"assignment kind '{assignment.Kind}' is not one a remote agent runs");
        }
    }

    private static Dictionary<string, string> Files(DecryptedConfiguration configuration) =>
        configuration.Files.ToDictionary(f => ".dlt/" + f.Key, f => f.Value, StringComparer.Ordinal);

    private async Task<AgentPython> PythonAsync(Guid workspaceId, string name, CancellationToken ct)
    {
        var environment = await pythonEnvironments.FindAsync(workspaceId, name, ct)
            ?? throw new InvalidOperationException($"the workspace has no Python environment '{name}'");
        return new AgentPython(environment.Interpreter, environment.Requirements, environment.InheritSystemPackages);
    }

    /// <summary>The run a "run" assignment is for.</summary>
    public static Guid RunOf(Assignment assignment) => assignment.Spec.GetProperty("runId").GetGuid();

    /// <summary>The job a "run" assignment reports to.</summary>
    public static Guid JobOf(Assignment assignment) => Guid.Parse(assignment.Grain.Key);
}
