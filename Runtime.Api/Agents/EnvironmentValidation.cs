using System.Diagnostics;
using System.Text.Json;
using Runtime.Execution.Agents;
using Runtime.Grains;
using Runtime.Grains.Assignments;
using Runtime.Grains.Environments;
using Runtime.Grains.Projects;
using Runtime.Grains.Settings;

namespace Runtime.Api.Agents;

/// <summary>One line of an environment's checklist: passed or not, and why.</summary>
/// <param name="Critical">A failed critical check blocks deploys to the environment.</param>
public sealed record ValidationCheck(string Name, bool Critical, bool Passed, string Detail);

public sealed record ValidationReport(Guid EnvironmentId, string Environment, bool Passed, IReadOnlyList<ValidationCheck> Checks);

/// <summary>A deploy or start refused because the environment's checklist failed; the ProblemDetails carries the checklist.</summary>
public sealed class EnvironmentNotReadyException(ValidationReport report)
    : DomainException($"Environment {report.Environment} is not ready",
        $"environment {report.Environment} failed {report.Checks.Count(c => c.Critical && !c.Passed)} critical check(s): " +
        string.Join("; ", report.Checks.Where(c => c.Critical && !c.Passed).Select(c => $"{c.Name}: {c.Detail}")) + ". Fix them and deploy again.")
{
    public override string Kind => "environment-not-ready";

    public ValidationReport Report { get; } = report;
}

/// <summary>
/// An environment's checklist, in order: the agent is online, its token valid, the project's settings
/// there, each connection reachable from the agent's machine (a TCP connect it makes) and each data path
/// usable there. The agent runs its part as a "check" assignment.
/// </summary>
public sealed class EnvironmentValidation(Orleans.IGrainFactory grains, AssignmentQueue queue, TimeProvider time)
{
    private static readonly TimeSpan AgentAnswer = TimeSpan.FromSeconds(15);

    public async Task<ValidationReport> ValidateAsync(Guid environmentId, CancellationToken ct)
    {
        var environment = grains.GetGrain<IEnvironmentGrain>(environmentId);
        var view = await environment.Get();
        var checks = new List<ValidationCheck>();
        var online = view.Status == EnvironmentStatus.Online;
        checks.Add(new ValidationCheck("agent online", true, online, online
            ? $"agent {view.Agent!.Id} on {view.Agent.Hostname}, last heartbeat {(time.GetUtcNow() - view.LastHeartbeatAt!.Value).TotalSeconds:0.0} s ago"
            : $"{view.Status.ToString().ToLowerInvariant()} since {view.StatusChangedAt:u}; start the agent with the environment's token"));
        checks.Add(new ValidationCheck("token valid", true, view.Token.Valid, view.Token.Valid
            ? $"issued {view.Token.IssuedAt:u}" : "the token was revoked; rotate it and give the agent the new one"));

        var project = grains.GetGrain<IProjectGrain>(view.ProjectId);
        var profiles = new List<SettingsView>();
        foreach (var profile in new[] { Profiles.Apps, Profiles.Prod })
        {
            var settings = await project.GetSettings(profile);
            profiles.Add(settings);
            var count = settings.Variables.Count + settings.Secrets.Count + settings.Connections.Count;
            checks.Add(new ValidationCheck($"settings ({profile})", false, count > 0, count > 0
                ? $"{settings.Variables.Count} variable(s), {settings.Secrets.Count} secret(s), {settings.Connections.Count} connection(s)"
                : $"the project has no '{profile}' settings; its workloads there run with none"));
        }

        var connections = profiles.SelectMany(p => p.Connections.Select(c => (p.Profile, Connection: c)))
            .Select(c => (c.Profile, c.Connection, Endpoint: ConnectionTypes.Endpoint(c.Connection.Type, c.Connection.Fields)))
            .Where(c => c.Endpoint is not null)
            .Select(c => new ReachabilityCheck($"connection {c.Connection.Name} ({c.Profile})", c.Endpoint!.Value.Host, c.Endpoint.Value.Port))
            .DistinctBy(c => (c.Host, c.Port)).ToList();
        var paths = profiles.SelectMany(p => p.Variables.Where(v => IsPath(v.Key, v.Value)).Select(v => new PathCheck($"path {v.Key} ({p.Profile})", v.Value)))
            .DistinctBy(p => p.Path).ToList();
        if (connections.Count + paths.Count > 0)
        {
            if (!online)
                checks.AddRange(connections.Select(c => new ValidationCheck(c.Name, true, false, $"{c.Host}:{c.Port} not checked: the agent is offline")));
            else
                checks.AddRange(await FromAgentAsync(environment, new AgentChecks(connections, paths), ct));
        }
        return new ValidationReport(environmentId, view.Name, checks.All(c => c.Passed || !c.Critical), checks);
    }

    // Data and bucket folders the workloads use: variables named …_PATH or …_DIR holding an absolute path.
    private static bool IsPath(string name, string value) =>
        (name.EndsWith("_PATH", StringComparison.Ordinal) || name.EndsWith("_DIR", StringComparison.Ordinal)) && value.StartsWith('/');

    private async Task<IReadOnlyList<ValidationCheck>> FromAgentAsync(IEnvironmentGrain environment, AgentChecks checks, CancellationToken ct)
    {
        var assignment = await environment.Check(JsonSerializer.Serialize(checks, GrainJson.Options));
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < AgentAnswer)
        {
            if (await queue.OutcomeAsync(assignment, ct) is { Status: AssignmentStatus.Completed or AssignmentStatus.Failed } outcome)
            {
                var results = outcome.Result?.Deserialize<CheckResults>(GrainJson.Options)?.Results ?? [];
                return results.Select(r => new ValidationCheck(r.Name, true, r.Passed,
                    r.Passed ? $"{r.Target} ok in {r.Milliseconds:0} ms" : $"{r.Target}: {r.Error}")).ToList();
            }
            await Task.Delay(50, ct);
        }
        return [new ValidationCheck("agent answered the checks", true, false, $"the agent did not run the checks within {AgentAnswer.TotalSeconds:0} s")];
    }
}
