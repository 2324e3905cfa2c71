using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using Npgsql;
using Runtime.Benchmarks.Apps;
using Runtime.Execution.Agents;

namespace Runtime.Benchmarks.Agents;

/// <summary>
/// <c>agents</c>: 1,000 simulated remote agents (speaking the gateway's protocol) heartbeating every 10 s
/// against one Api and PostgreSQL: heartbeat latency and the Api's CPU; how long after the 30 s
/// threshold an agent that stops heartbeating is seen Offline; and how soon a long-polling agent
/// receives an assignment once it is queued.
/// </summary>
internal static class AgentsBenchmark
{
    private const int Agents = 1000;
    private const int Dying = 100;
    private const int Pickups = 200;
    private static readonly TimeSpan Interval = TimeSpan.FromSeconds(AgentGateway.HeartbeatSeconds);
    private static readonly TimeSpan LoadPhase = TimeSpan.FromSeconds(60);
    private static readonly TimeSpan Threshold = TimeSpan.FromSeconds(30);
    private const double OfflineDelayP99Target = 1000, PickupP50Target = 100;

    private sealed record SimulatedAgent(Guid EnvironmentId, string Token, Guid AgentId)
    {
        public volatile bool Dead;
    }

    public static async Task<int> RunAsync()
    {
        Console.WriteLine($"Runtime.Benchmarks agents — {Environment.ProcessorCount} cores, .NET {Environment.Version}");
        using var repository = FlaskRepository.Create();
        await using var system = await BenchSystem.StartAsync();
        Console.WriteLine($"PostgreSQL {system.PostgresVersion} (fsync on); one silo and the Api as child processes; their output: {system.LogPath}");
        var project = await ProjectDriver.CreateAsync(system, repository.FileUrl);
        var projectPath = $"/api/workspaces/default/projects/{project.Slug}";

        var clock = Stopwatch.StartNew();
        var agents = await CreateEnvironmentsAsync(system, projectPath);
        Console.WriteLine($"{Agents} environments created in {clock.Elapsed.TotalSeconds:0.0} s");

        using var http = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = 256, PooledConnectionLifetime = TimeSpan.FromMinutes(10) })
        {
            BaseAddress = new Uri(system.ApiUrl),
            Timeout = TimeSpan.FromSeconds(60),
        };
        using var stop = new CancellationTokenSource();
        var latencies = new ConcurrentBag<double>();
        var failures = 0;
        var beating = agents.Select((agent, i) => BeatAsync(http, agent, TimeSpan.FromTicks(Interval.Ticks * i / Agents), latencies, () => Interlocked.Increment(ref failures), stop.Token)).ToList();

        // Load: every agent beats every 10 s; the Api's CPU is measured over the same window.
        await Task.Delay(Interval); // all agents online
        latencies.Clear();
        var cpuBefore = CpuSeconds(system.ApiPid);
        var window = Stopwatch.StartNew();
        await Task.Delay(LoadPhase);
        var apiCpu = (CpuSeconds(system.ApiPid) - cpuBefore) / window.Elapsed.TotalSeconds * 100;
        var beats = latencies.Order().ToList();
        Console.WriteLine();
        Console.WriteLine($"heartbeats, {Agents} agents every {Interval.TotalSeconds:0} s for {LoadPhase.TotalSeconds:0} s ({beats.Count} beats, {failures} failed)   p50 ms   p99 ms    max");
        Console.WriteLine($"  POST /api/agent/heartbeat → 200                                     {Stats.Percentile(beats, 50),7:0.0}  {Stats.Percentile(beats, 99),7:0.0}  {beats.Max(),6:0}");
        Console.WriteLine($"  the Api's CPU meanwhile: {apiCpu:0.0} % of one core");

        // Offline detection: some agents stop; each environment should turn Offline 30 s after its last heartbeat.
        var dying = agents.Take(Dying).ToList();
        foreach (var agent in dying)
            agent.Dead = true;
        var delays = await OfflineDelaysAsync(system.Database, dying);
        Console.WriteLine();
        Console.WriteLine($"offline detection, {Dying} agents stopped (threshold {Threshold.TotalSeconds:0} s)                 p50 ms   p99 ms    max");
        Console.WriteLine($"  last heartbeat + threshold → Offline recorded (target p99 <= {OfflineDelayP99Target})   {Stats.Percentile(delays, 50),7:0.0}  {Stats.Percentile(delays, 99),7:0.0}  {delays.Max(),6:0}   {Stats.Verdict(Stats.Percentile(delays, 99) <= OfflineDelayP99Target)}");

        // Pickup: a live agent long-polls; each validation queues a check assignment for it.
        var pickups = await PickupAsync(system, http, projectPath, agents[^1]);
        Console.WriteLine();
        Console.WriteLine($"assignment pickup by a long-polling agent, {Pickups} assignments             p50 ms   p99 ms    max");
        Console.WriteLine($"  assignment committed → in the agent's hands (target p50 <= {PickupP50Target})        {Stats.Percentile(pickups, 50),7:0.0}  {Stats.Percentile(pickups, 99),7:0.0}  {pickups.Max(),6:0}   {Stats.Verdict(Stats.Percentile(pickups, 50) <= PickupP50Target)}");

        await stop.CancelAsync();
        await Task.WhenAll(beating);
        var path = await Artifacts.WriteAsync("agents", new
        {
            benchmark = "agents",
            at = DateTimeOffset.UtcNow,
            machine = new { cores = Environment.ProcessorCount, postgres = system.PostgresVersion, dotnet = Environment.Version.ToString() },
            heartbeats = new
            {
                agents = Agents, intervalSeconds = Interval.TotalSeconds, windowSeconds = LoadPhase.TotalSeconds, count = beats.Count, failed = failures,
                p50Ms = Stats.Percentile(beats, 50), p99Ms = Stats.Percentile(beats, 99), maxMs = beats.Max(), apiCpuPercentOfOneCore = apiCpu,
            },
            offlineDetection = new
            {
                measured = "statusChangedAt (Offline) − the agent's last heartbeat as the grain recorded it − the 30 s threshold, both on the server's clock",
                agents = Dying, p50Ms = Stats.Percentile(delays, 50), p99Ms = Stats.Percentile(delays, 99), maxMs = delays.Max(), targetP99Ms = OfflineDelayP99Target,
            },
            pickup = new
            {
                measured = "from the check assignment's created_at (committed by the environment grain) to the long-poll answer arriving at the agent",
                count = pickups.Count, p50Ms = Stats.Percentile(pickups, 50), p99Ms = Stats.Percentile(pickups, 99), maxMs = pickups.Max(), targetP50Ms = PickupP50Target,
            },
        });
        Console.WriteLine();
        Console.WriteLine($"written to {path}");
        return 0;
    }

    private static async Task<List<SimulatedAgent>> CreateEnvironmentsAsync(BenchSystem system, string projectPath)
    {
        var agents = new ConcurrentBag<(int, SimulatedAgent)>();
        await Parallel.ForEachAsync(Enumerable.Range(0, Agents), new ParallelOptions { MaxDegreeOfParallelism = 16 }, async (i, ct) =>
        {
            using var response = await system.Api.PostAsJsonAsync($"{projectPath}/environments", new { name = $"edge-{i:0000}", labels = new[] { "bench" } }, ct);
            var body = await response.Content.ReadAsStringAsync(ct);
            if ((int)response.StatusCode != 201)
                throw new InvalidOperationException($"Creating environment {i} failed with {(int)response.StatusCode}: {body}");
            var created = JsonDocument.Parse(body).RootElement;
            agents.Add((i, new SimulatedAgent(created.GetProperty("environment").GetProperty("id").GetGuid(), created.GetProperty("token").GetString()!, Guid.NewGuid())));
        });
        return agents.OrderBy(a => a.Item1).Select(a => a.Item2).ToList();
    }

    private static HttpRequestMessage Request(HttpMethod method, string path, SimulatedAgent agent, object? body)
    {
        var request = new HttpRequestMessage(method, path) { Content = body is null ? null : JsonContent.Create(body) };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", agent.Token);
        request.Headers.Add(AgentGateway.AgentIdHeader, agent.AgentId.ToString());
        return request;
    }

    // One agent's heartbeats, every interval from its offset, until it dies or the benchmark ends.
    private static async Task BeatAsync(HttpClient http, SimulatedAgent agent, TimeSpan offset, ConcurrentBag<double> latencies, Action failed, CancellationToken ct)
    {
        var started = DateTimeOffset.UtcNow;
        try
        {
            await Task.Delay(offset, ct);
            var next = Stopwatch.GetTimestamp();
            while (!ct.IsCancellationRequested && !agent.Dead)
            {
                var beat = new AgentHeartbeat(agent.AgentId, "bench", started, "bench-host", new ResourceUsage(5, 1 << 30, 8L << 30, 50L << 30, 100L << 30), []);
                var sent = Stopwatch.GetTimestamp();
                using (var response = await http.SendAsync(Request(HttpMethod.Post, AgentGateway.Heartbeat, agent, beat), ct))
                {
                    if (response.IsSuccessStatusCode)
                        latencies.Add(Stopwatch.GetElapsedTime(sent).TotalMilliseconds);
                    else
                        failed();
                }
                next += (long)(Interval.TotalSeconds * Stopwatch.Frequency);
                var wait = Stopwatch.GetElapsedTime(Stopwatch.GetTimestamp(), next);
                if (wait > TimeSpan.Zero)
                    await Task.Delay(wait, ct);
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    private static async Task<List<double>> OfflineDelaysAsync(NpgsqlDataSource database, IReadOnlyList<SimulatedAgent> dying)
    {
        var ids = dying.Select(a => a.EnvironmentId.ToString("D")).ToArray();
        var deadline = Stopwatch.StartNew();
        while (deadline.Elapsed < Threshold + Interval + TimeSpan.FromSeconds(30))
        {
            await using var command = database.CreateCommand("""
                SELECT (state -> 'agent' ->> 'lastHeartbeatAt')::timestamptz, (state ->> 'statusChangedAt')::timestamptz
                FROM environments WHERE key = ANY($1) AND state ->> 'status' = 'Offline'
                """);
            command.Parameters.Add(new NpgsqlParameter { Value = ids });
            var delays = new List<double>();
            await using (var reader = await command.ExecuteReaderAsync())
            {
                while (await reader.ReadAsync())
                    delays.Add((reader.GetFieldValue<DateTimeOffset>(1) - reader.GetFieldValue<DateTimeOffset>(0) - Threshold).TotalMilliseconds);
            }
            if (delays.Count == ids.Length)
                return delays.Order().ToList();
            await Task.Delay(250);
        }
        throw new TimeoutException("Not every stopped agent's environment went Offline within a minute past the threshold.");
    }

    private static async Task<List<double>> PickupAsync(BenchSystem system, HttpClient http, string projectPath, SimulatedAgent agent)
    {
        // A connection in the project's settings, so that each validation asks the agent to check it.
        var apiPort = new Uri(system.ApiUrl).Port;
        using (var put = await system.Api.PutAsJsonAsync($"{projectPath}/connections/local?profile=access",
            new { type = "generic", fields = new { host = "127.0.0.1", port = apiPort.ToString() } }))
        {
            if (!put.IsSuccessStatusCode)
                throw new InvalidOperationException($"Setting the connection failed: {await put.Content.ReadAsStringAsync()}");
        }
        var received = new ConcurrentDictionary<Guid, DateTimeOffset>();
        using var stop = new CancellationTokenSource();
        var polling = LongPollAsync(http, agent, received, stop.Token);
        var environmentPath = $"{projectPath}/environments/{agent.EnvironmentId}";
        for (var i = 0; i < Pickups; i++)
        {
            using var validated = await system.Api.PostAsync($"{environmentPath}/validate", null);
            if (!validated.IsSuccessStatusCode)
                throw new InvalidOperationException($"Validation {i} failed with {(int)validated.StatusCode}: {await validated.Content.ReadAsStringAsync()}");
        }
        await stop.CancelAsync();
        await polling;

        var pickups = new List<double>();
        await using var command = system.Database.CreateCommand("SELECT id, created_at FROM assignments WHERE id = ANY($1)");
        command.Parameters.Add(new NpgsqlParameter { Value = received.Keys.ToArray() });
        await using var reader = await command.ExecuteReaderAsync();
        while (await reader.ReadAsync())
            pickups.Add((received[reader.GetGuid(0)] - reader.GetFieldValue<DateTimeOffset>(1)).TotalMilliseconds);
        return pickups.Order().ToList();
    }

    // The agent's side: long-poll, note when each check arrived, run it, complete it with the results.
    private static async Task LongPollAsync(HttpClient http, SimulatedAgent agent, ConcurrentDictionary<Guid, DateTimeOffset> received, CancellationToken ct)
    {
        try
        {
            while (!ct.IsCancellationRequested)
            {
                using var response = await http.SendAsync(Request(HttpMethod.Post, AgentGateway.Claim, agent, new ClaimRequest(agent.AgentId, 8, 25)), ct);
                var arrivedAt = DateTimeOffset.UtcNow;
                response.EnsureSuccessStatusCode();
                foreach (var assignment in (await response.Content.ReadFromJsonAsync<AgentAssignment[]>(ct))!)
                {
                    received[assignment.Id] = arrivedAt;
                    var results = await AgentCheckRunner.RunAsync(assignment.Checks ?? new AgentChecks([], []), ct);
                    using var done = await http.SendAsync(Request(HttpMethod.Post, AgentGateway.Complete(assignment.Id), agent,
                        new CompleteRequest(agent.AgentId, true, JsonSerializer.SerializeToElement(results, JsonSerializerOptions.Web))), ct);
                }
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    private static double CpuSeconds(int pid)
    {
        // /proc/<pid>/stat: utime and stime are fields 14 and 15, in clock ticks (100 per second on Linux).
        var stat = File.ReadAllText($"/proc/{pid}/stat");
        var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        return (long.Parse(fields[11]) + long.Parse(fields[12])) / 100.0;
    }
}
