using Microsoft.Extensions.Options;
using Npgsql;
using Runtime.Grains.Assignments;
using Runtime.Grains.Naming;

namespace Runtime.Grains.Environments;

/// <summary>
/// A custom environment: created with its agent's token (shown once), Online while heartbeats arrive and
/// Offline once the last is older than the threshold; every transition is kept, and three or more within
/// ten minutes raise a flapping warning. One agent identity holds it at a time.
/// </summary>
[Orleans.GrainType("environment")]
public sealed partial class EnvironmentGrain(
    [Orleans.Runtime.PersistentState("environment")] Orleans.Runtime.IPersistentState<Engine.GrainRecord<EnvironmentState>> record,
    IOptions<EnvironmentOptions> options) : Engine.RuntimeGrain<EnvironmentState>(record), IEnvironmentGrain
{
    private const int MaxLabels = 20;

    private EnvironmentOptions Options => options.Value;

    public Task<CreatedEnvironment> Create(NewEnvironment environment)
    {
        var validation = new Validation();
        var name = environment.Name?.Trim() ?? "";
        validation.Require(Slug.IsValid(name), "name",
            $"'{Shorten(name)}' is not a valid environment name: {Slug.Rule}. Say where and what for, such as 'berlin-plant-gpu'.");
        validation.Require(name != Projects.ProjectGrain.DefaultEnvironment, "name", $"'{name}' is the built-in environment; choose another name.");
        var labels = ParseLabels(validation, environment.Labels);
        validation.Require((environment.Description ?? "").Length <= 500, "description", "description is at most 500 characters.");
        validation.ThrowIfInvalid();

        if (Exists)
        {
            if (State.ProjectId == environment.ProjectId && State.Name == name)
                return Task.FromResult(new CreatedEnvironment(View(), false));
            throw new ConflictException("Environment exists", $"Environment {Context.Id.Key} already exists as '{State.Name}'.");
        }
        State = new EnvironmentState
        {
            WorkspaceId = environment.WorkspaceId,
            ProjectId = environment.ProjectId,
            Name = name,
            Description = environment.Description?.Trim() ?? "",
            Labels = labels,
            Status = EnvironmentStatus.Offline,
            StatusChangedAt = Context.Now,
            CreatedAt = Context.Now,
            TokenHash = environment.TokenHash,
            TokenIssuedAt = Context.Now,
        };
        return Task.FromResult(new CreatedEnvironment(View(), true));
    }

    public Task<EnvironmentView> Get()
    {
        RequireExists();
        return Task.FromResult(View());
    }

    public Task<EnvironmentView> Update(EnvironmentUpdate update)
    {
        RequireExists();
        var validation = new Validation();
        foreach (var field in update.OtherFields)
            validation.Add(field, $"{field} cannot be changed; only description and labels can. Create another environment for another name.");
        var labels = update.Labels is null ? State.Labels : ParseLabels(validation, update.Labels);
        validation.Require((update.Description ?? "").Length <= 500, "description", "description is at most 500 characters.");
        validation.ThrowIfInvalid();
        Transitions.Next(State.Status, EnvironmentOperation.Update);
        State.Description = update.Description?.Trim() ?? State.Description;
        State.Labels = labels;
        return Task.FromResult(View());
    }

    public async Task<EnvironmentView> Retire(bool force)
    {
        RequireExists();
        Transitions.Next(State.Status, EnvironmentOperation.Retire);
        if (State.RetiringSince is not null && !force)
            throw new IllegalTransitionException("environment", "retiring", "retire", "Its agent is stopping its workloads; it is Retired once they are stopped.");
        var running = await RunningAsync();
        if (running.Count > 0 && !force)
        {
            throw new IllegalTransitionException("environment", State.Status.ToString(), "retire",
                $"Its agent runs {running.Count} workload(s). Stop them first, or retire with ?force=true to stop them.");
        }
        if (running.Count > 0 && State.Status == EnvironmentStatus.Online)
        {
            // The agent stops them first (its token keeps working meanwhile); its next empty heartbeat completes the retirement.
            foreach (var (assignment, workload) in running)
                await WorkloadStops.StopAsync(Context, assignment, Context.Id.Key, workload);
            State.RetiringSince ??= Context.Now;
            Record("retiring", $"stopping {running.Count} workload(s) to retire");
            return View();
        }
        FinishRetirement();
        return View();
    }

    private void FinishRetirement()
    {
        State.RetiringSince = null;
        MoveTo(Transitions.Next(State.Status, EnvironmentOperation.Retire), "retired");
        State.TokenHash = null;
        State.PreviousTokenHash = null;
        State.TokenRevokedAt = Context.Now;
    }

    public Task<EnvironmentView> RotateToken(string tokenHash, TimeSpan? grace)
    {
        RequireExists();
        Transitions.Next(State.Status, EnvironmentOperation.RotateToken);
        var keep = grace ?? Options.TokenGrace;
        if (keep < TimeSpan.Zero || keep > TimeSpan.FromDays(7))
            throw new ValidationException("graceSeconds", "graceSeconds must be from 0 to 604800 (a week).");
        State.PreviousTokenHash = keep > TimeSpan.Zero ? State.TokenHash : null;
        State.PreviousTokenValidUntil = keep > TimeSpan.Zero && State.TokenHash is not null ? Context.Now + keep : null;
        State.TokenHash = tokenHash;
        State.TokenIssuedAt = Context.Now;
        State.TokenRevokedAt = null;
        Record("token", $"token rotated; the old one works until {State.PreviousTokenValidUntil?.ToString("u") ?? "now"}");
        return Task.FromResult(View());
    }

    public Task<EnvironmentView> RevokeToken()
    {
        RequireExists();
        State.TokenHash = null;
        State.PreviousTokenHash = null;
        State.PreviousTokenValidUntil = null;
        State.TokenRevokedAt = Context.Now;
        Record("token", "token revoked; rotate to issue a new one");
        return Task.FromResult(View());
    }

    // What the agent said, in its last heartbeat, that it runs.
    private async Task<List<(Guid Assignment, string Workload)>> RunningAsync()
    {
        await using var select = Context.CreateCommand("SELECT id, workload_id FROM assignments WHERE environment_id = $1 AND id = ANY($2)");
        select.Parameters.Add(new NpgsqlParameter { Value = Context.Id.Key });
        select.Parameters.Add(new NpgsqlParameter { Value = (State.Agent?.Workloads ?? []).ToArray() });
        var running = new List<(Guid, string)>();
        await using var reader = await select.ExecuteReaderAsync();
        while (await reader.ReadAsync())
            running.Add((reader.GetGuid(0), reader.GetString(1)));
        return running;
    }

    private static List<string> ParseLabels(Validation validation, IReadOnlyList<string>? labels)
    {
        var parsed = (labels ?? []).Select(l => l?.Trim().ToLowerInvariant() ?? "").Distinct().ToList();
        validation.Require(parsed.Count <= MaxLabels, "labels", $"At most {MaxLabels} labels.");
        foreach (var label in parsed.Where(l => !Slug.IsValid(l) || l.Length > 40))
            validation.Add("labels", $"'{Shorten(label)}' is not a valid label: lowercase letters, digits and '-', at most 40 characters (dev, staging, prod, gpu …).");
        return parsed;
    }

    private void RequireExists()
    {
        if (!Exists)
            throw new NotFoundException("environment", Context.Id.Key);
    }

    private static string Shorten(string value) => value.Length <= 40 ? value : value[..40] + "…";
}
