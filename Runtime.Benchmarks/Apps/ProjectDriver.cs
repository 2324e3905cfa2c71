using System.Diagnostics;
using System.Net.Http.Json;
using System.Text.Json;
using Npgsql;

namespace Runtime.Benchmarks.Apps;

/// <summary>
/// The phases the agent records in the start assignment's <c>result.phases</c>, in milliseconds;
/// a phase the agent did not record is null.
/// </summary>
internal sealed record StartPhases(double? UnpackMs, double? VenvMs, double? ProcessStartMs, double? FirstHealthyMs);

/// <summary>One deploy, from the moment before <c>POST …/deploy</c> was sent.</summary>
/// <param name="ReadyMs">Until this process saw the project's status become Deployed (polling its row every ~2 ms).</param>
/// <param name="FetchMs">Until the start assignment was recorded (its <c>created_at</c>, the silo's clock): the deploy call, the fetch activity (git fetch, archive, store) and the grain call that assigns the start.</param>
/// <param name="Phases">What the agent recorded, or null when its result has no <c>phases</c>.</param>
internal sealed record DeployTiming(double ReadyMs, double FetchMs, StartPhases? Phases)
{
    /// <summary>From the start assignment being recorded to Deployed being seen: claim, unpack, venv, process start, probes, report.</summary>
    public double AgentMs => ReadyMs - FetchMs;
}

/// <summary>Drives one project through the Api (create, deploy, stop) and reads what the system recorded from its database.</summary>
internal sealed class ProjectDriver
{
    private static readonly TimeSpan StatusPoll = TimeSpan.FromMilliseconds(2);
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);

    private readonly BenchSystem _system;

    private ProjectDriver(BenchSystem system, Guid id, string slug)
    {
        _system = system;
        Id = id;
        Slug = slug;
    }

    public Guid Id { get; }

    public string Slug { get; }

    /// <summary>Where the proxy serves the app: <c>/apps/default/&lt;slug&gt;/</c>.</summary>
    public string AppPath => $"/apps/default/{Slug}/";

    private string ApiPath => $"/api/workspaces/default/projects/{Slug}";

    public static async Task<ProjectDriver> CreateAsync(BenchSystem system, string repositoryUrl)
    {
        using var response = await system.Api.PostAsJsonAsync("/api/workspaces/default/projects", new
        {
            name = "bench-flask", appType = "dash", pythonEnvironment = "default", repositoryUrl, branch = "main", path = FlaskRepository.Entrypoint,
        });
        var body = await response.Content.ReadAsStringAsync();
        if ((int)response.StatusCode != 201)
            throw new InvalidOperationException($"Creating the project failed with {(int)response.StatusCode}: {body}");
        var project = JsonDocument.Parse(body).RootElement;
        return new ProjectDriver(system, project.GetProperty("id").GetGuid(), project.GetProperty("slug").GetString()!);
    }

    /// <summary>Deploys (fetching the branch again) and waits until Deployed; throws with the reason when it fails.</summary>
    public async Task<DeployTiming> DeployAsync()
    {
        await using var connection = await _system.Database.OpenConnectionAsync();
        await using var status = StatusCommand(connection);
        var requested = DateTime.UtcNow;
        var clock = Stopwatch.StartNew();
        await PostAsync("deploy");
        await WaitForAsync(status, "Deployed", clock);
        var ready = clock.Elapsed.TotalMilliseconds;

        var (createdAt, result) = await StartAssignmentAsync(connection, requested);
        return new DeployTiming(ready, (createdAt - requested).TotalMilliseconds, PhasesOf(result));
    }

    /// <summary>Stops the app and waits until Stopped: the agent has ended its process by then.</summary>
    public async Task StopAsync()
    {
        await using var connection = await _system.Database.OpenConnectionAsync();
        await using var status = StatusCommand(connection);
        var clock = Stopwatch.StartNew();
        await PostAsync("stop");
        await WaitForAsync(status, "Stopped", clock);
    }

    /// <summary>The serving workload's address (<c>http://127.0.0.1:port</c>), as the proxy reads it.</summary>
    public async Task<string> AddressAsync()
    {
        await using var command = _system.Database.CreateCommand("SELECT state->>'address' FROM projects WHERE key = $1");
        command.Parameters.Add(new NpgsqlParameter { Value = Id.ToString("D") });
        return await command.ExecuteScalarAsync() as string ?? throw new InvalidOperationException("The project has no address; is it Deployed?");
    }

    private async Task PostAsync(string operation)
    {
        using var response = await _system.Api.PostAsync($"{ApiPath}/{operation}", null);
        if ((int)response.StatusCode != 202)
            throw new InvalidOperationException($"{operation} answered {(int)response.StatusCode}: {await response.Content.ReadAsStringAsync()}");
    }

    private NpgsqlCommand StatusCommand(NpgsqlConnection connection)
    {
        var command = new NpgsqlCommand("SELECT state->>'status', state->>'failureReason' FROM projects WHERE key = $1", connection);
        command.Parameters.Add(new NpgsqlParameter { Value = Id.ToString("D") });
        command.Prepare();
        return command;
    }

    private static async Task WaitForAsync(NpgsqlCommand status, string wanted, Stopwatch clock)
    {
        while (clock.Elapsed < Timeout)
        {
            await using (var reader = await status.ExecuteReaderAsync())
            {
                await reader.ReadAsync();
                var current = reader.GetString(0);
                if (current == wanted)
                    return;
                if (current == "Failed")
                    throw new InvalidOperationException($"The project failed instead of becoming {wanted}: {(reader.IsDBNull(1) ? "no reason" : reader.GetString(1))}");
            }
            await Task.Delay(StatusPoll);
        }
        throw new TimeoutException($"The project did not become {wanted} within {Timeout.TotalSeconds:0} s.");
    }

    // The agent completes the assignment just after it reported the app ready, so the row may lag a little.
    private async Task<(DateTime CreatedAt, JsonElement Result)> StartAssignmentAsync(NpgsqlConnection connection, DateTime requested)
    {
        await using var command = new NpgsqlCommand("""
            SELECT created_at, result::text FROM assignments
            WHERE workload_id = $1 AND kind = 'start' AND created_at >= $2 AND completed_at IS NOT NULL
            ORDER BY created_at DESC LIMIT 1
            """, connection);
        command.Parameters.Add(new NpgsqlParameter { Value = $"project/{Id:D}" });
        command.Parameters.Add(new NpgsqlParameter { Value = requested });
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < TimeSpan.FromSeconds(10))
        {
            await using (var reader = await command.ExecuteReaderAsync())
            {
                if (await reader.ReadAsync())
                    return (reader.GetDateTime(0), reader.IsDBNull(1) ? default : JsonDocument.Parse(reader.GetString(1)).RootElement);
            }
            await Task.Delay(10);
        }
        throw new TimeoutException("The start assignment was not completed within 10 s of the project being Deployed.");
    }

    private static StartPhases? PhasesOf(JsonElement result)
    {
        if (result.ValueKind != JsonValueKind.Object || !result.TryGetProperty("phases", out var phases) || phases.ValueKind != JsonValueKind.Object)
            return null;
        double? Phase(string name) => phases.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.Number ? value.GetDouble() : null;
        return new StartPhases(Phase("unpackMs"), Phase("venvMs"), Phase("processStartMs"), Phase("firstHealthyMs"));
    }
}
