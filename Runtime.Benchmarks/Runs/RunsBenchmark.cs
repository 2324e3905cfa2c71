using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Json;
using System.Text.Json;
using Npgsql;
using Runtime.Benchmarks.Apps;

namespace Runtime.Benchmarks.Runs;

/// <summary>
/// <c>runs</c>: trigger-to-running of a trivial script against starting it directly; cron fire lateness
/// with 10,000 schedules firing within one minute; and the lag of a followed run log.
/// </summary>
internal static class RunsBenchmark
{
    private const int Runs = 200;
    private const int Schedules = 10_000;
    private const double OverheadP50Target = 100, OverheadP99Target = 300, LatenessP99Target = 250, FollowLagP99Target = 100;

    // Prints the moment its first instruction runs, in Unix seconds.
    private const string Trivial = "import time\nprint(time.time(), flush=True)\n";
    private const string Ticking = "import time\nfor n in range(500):\n    print('tick', time.time(), flush=True)\n    time.sleep(0.01)\n";

    public static async Task<int> RunAsync()
    {
        var clock = Stopwatch.StartNew();
        Console.WriteLine($"Runtime.Benchmarks runs — {Environment.ProcessorCount} cores, .NET {Environment.Version}");
        using var repository = FlaskRepository.Create(new Dictionary<string, string> { ["trivial.py"] = Trivial, ["ticking.py"] = Ticking });
        await using var system = await BenchSystem.StartAsync();
        Console.WriteLine($"PostgreSQL {system.PostgresVersion} (fsync on); one silo and the Api as child processes; their output: {system.LogPath}");
        var project = await ProjectDriver.CreateAsync(system, repository.FileUrl);
        await PullAsync(system, project.Slug);

        var (runtime, direct) = await TriggerToRunningAsync(system, project.Slug, repository.WorkPath);
        var overheadP50 = Stats.Percentile(runtime, 50) - Stats.Percentile(direct, 50);
        var overheadP99 = Stats.Percentile(runtime, 99) - Stats.Percentile(direct, 99);
        Console.WriteLine();
        Console.WriteLine($"trigger to the script's first instruction, {Runs} runs each            p50 ms   p99 ms");
        Console.WriteLine($"  Runtime (POST …/runs → script running)                          {Stats.Percentile(runtime, 50),7:0.0}  {Stats.Percentile(runtime, 99),7:0.0}");
        Console.WriteLine($"  direct (spawn python3 trivial.py → script running)              {Stats.Percentile(direct, 50),7:0.0}  {Stats.Percentile(direct, 99),7:0.0}");
        Console.WriteLine($"  added overhead (targets p50 <= {OverheadP50Target}, p99 <= {OverheadP99Target})              {overheadP50,7:0.0}  {overheadP99,7:0.0}   {Stats.Verdict(overheadP50 <= OverheadP50Target && overheadP99 <= OverheadP99Target)}");

        var lag = await FollowLagAsync(system, project.Slug);
        Console.WriteLine();
        Console.WriteLine($"log follow lag over SSE, {lag.Count} lines printed every 10 ms         p50 ms   p99 ms");
        Console.WriteLine($"  printed → received by the follower (target p99 <= {FollowLagP99Target})           {Stats.Percentile(lag, 50),7:0.0}  {Stats.Percentile(lag, 99),7:0.0}   {Stats.Verdict(Stats.Percentile(lag, 99) <= FollowLagP99Target)}");

        var lateness = await CronLatenessAsync(system);
        Console.WriteLine();
        Console.WriteLine($"cron fire lateness, {lateness.Count} job schedules firing within one minute   p50 ms   p99 ms    max");
        Console.WriteLine($"  tick due → run recorded (target p99 <= {LatenessP99Target})                    {Stats.Percentile(lateness, 50),7:0.0}  {Stats.Percentile(lateness, 99),7:0.0}  {lateness.Max(),6:0}   {Stats.Verdict(Stats.Percentile(lateness, 99) <= LatenessP99Target)}");

        var path = await Artifacts.WriteAsync("runs", new
        {
            benchmark = "runs",
            at = DateTimeOffset.UtcNow,
            machine = new { cores = Environment.ProcessorCount, postgres = system.PostgresVersion, dotnet = Environment.Version.ToString() },
            triggerToRunning = new
            {
                measured = "from just before POST …/jobs/<job>/runs to the time.time() the script printed as its first instruction (read from the run's stored log); "
                    + "direct: from just before spawning /usr/bin/python3 trivial.py to the time it printed. Runs one after another.",
                runs = Runs,
                runtimeMs = Summary(runtime),
                directMs = Summary(direct),
                overheadP50Ms = overheadP50,
                overheadP99Ms = overheadP99,
                targets = new { p50 = OverheadP50Target, p99 = OverheadP99Target },
            },
            followLag = new { measured = "a run prints a line with time.time() every 10 ms; lag = when the SSE follower read it minus that time", ms = Summary(lag), targetP99 = FollowLagP99Target },
            cronLateness = new
            {
                measured = $"{Schedules} jobs with 6-field cron schedules ('S * * * * *'), each firing at its own second of every minute; measured over one whole minute after all were created; lateness = the run row's created_at (written in the reminder's grain call) minus the tick's due time. "
                    + "The project has no fetched revision, so each run fails at once without a process: the figure is the scheduler's, not the machine's process spawning.",
                schedules = lateness.Count,
                ms = Summary(lateness),
                targetP99 = LatenessP99Target,
            },
        });
        Console.WriteLine();
        Console.WriteLine($"wrote {path} ({clock.Elapsed.TotalSeconds:0} s)");
        return 0;
    }

    private static async Task<(List<double> Runtime, List<double> Direct)> TriggerToRunningAsync(BenchSystem system, string slug, string work)
    {
        var job = await CreateJobAsync(system, slug, new { name = "trivial", path = "trivial.py" });
        var runtime = new List<double>();
        var direct = new List<double>();
        for (var i = -2; i < Runs; i++) // two warm-ups each
        {
            var before = NowSeconds();
            using var response = await system.Api.PostAsync($"{job}/runs", null);
            var run = (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetGuid();
            var printed = await FirstLineAsync(system, run);
            if (i >= 0)
                runtime.Add((printed - before) * 1000);

            before = NowSeconds();
            var info = new ProcessStartInfo(BenchSystem.Python, ["trivial.py"]) { WorkingDirectory = work, RedirectStandardOutput = true };
            using var process = Process.Start(info)!;
            var line = await process.StandardOutput.ReadLineAsync();
            await process.WaitForExitAsync();
            if (i >= 0)
                direct.Add((double.Parse(line!, CultureInfo.InvariantCulture) - before) * 1000);
        }
        return (runtime.Order().ToList(), direct.Order().ToList());
    }

    private static async Task<double> FirstLineAsync(BenchSystem system, Guid run)
    {
        await using var command = system.Database.CreateCommand("SELECT line FROM workload_logs WHERE workload_id = $1 AND stream = 'stdout' ORDER BY id LIMIT 1");
        command.Parameters.Add(new NpgsqlParameter { Value = $"run/{run:D}" });
        var deadline = Stopwatch.StartNew();
        while (deadline.Elapsed < TimeSpan.FromSeconds(30))
        {
            if (await command.ExecuteScalarAsync() is string line)
                return double.Parse(line, CultureInfo.InvariantCulture);
            await Task.Delay(2);
        }
        throw new TimeoutException($"run {run} printed nothing within 30 s");
    }

    private static async Task<List<double>> FollowLagAsync(BenchSystem system, string slug)
    {
        var job = await CreateJobAsync(system, slug, new { name = "ticking", path = "ticking.py" });
        using var response = await system.Api.PostAsync($"{job}/runs", null);
        var run = (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetGuid();
        using var follow = await system.Api.SendAsync(new HttpRequestMessage(HttpMethod.Get, $"/api/workspaces/default/runs/{run}/logs/follow?tail=10000"),
            HttpCompletionOption.ResponseHeadersRead);
        using var reader = new StreamReader(await follow.Content.ReadAsStreamAsync());
        var lags = new List<double>();
        while (await reader.ReadLineAsync() is { } text && text != "event: end")
        {
            if (!text.StartsWith("data: ", StringComparison.Ordinal))
                continue;
            var line = JsonDocument.Parse(text[6..]).RootElement.GetProperty("line").GetString()!;
            if (line.Split(' ') is ["tick", var printed])
                lags.Add((NowSeconds() - double.Parse(printed, CultureInfo.InvariantCulture)) * 1000);
        }
        return lags.Order().ToList();
    }

    private static async Task<List<double>> CronLatenessAsync(BenchSystem system)
    {
        // A project with nothing fetched: its runs fail at once, so the figure is the scheduler's alone.
        using var empty = await system.Api.PostAsJsonAsync("/api/workspaces/default/projects", new
        {
            name = "bench-cron", appType = "dash", pythonEnvironment = "default", repositoryUrl = "file:///nonexistent/cron.git", branch = "main", path = "app.py",
        });
        var slug = (await empty.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("slug").GetString()!;

        // Each schedule fires every minute at its own second; measured: the first whole minute after all exist.
        var creating = Stopwatch.StartNew();
        await Parallel.ForEachAsync(Enumerable.Range(0, Schedules), new ParallelOptions { MaxDegreeOfParallelism = 16 }, async (i, ct) =>
        {
            using var response = await system.Api.PostAsJsonAsync($"/api/workspaces/default/projects/{slug}/jobs",
                new { name = $"cron-{i}", path = "job.py", schedule = new { cron = $"{i % 60} * * * * *" } }, ct);
            if ((int)response.StatusCode != 201)
                throw new InvalidOperationException($"creating job {i} answered {(int)response.StatusCode}: {await response.Content.ReadAsStringAsync(ct)}");
        });
        var now = DateTimeOffset.UtcNow;
        var from = new DateTimeOffset(now.Year, now.Month, now.Day, now.Hour, now.Minute, 0, TimeSpan.Zero).AddMinutes(1);
        Console.WriteLine();
        Console.WriteLine($"created {Schedules} scheduled jobs in {creating.Elapsed.TotalSeconds:0} s; measuring the minute from {from:HH:mm:ss} UTC");
        while (DateTimeOffset.UtcNow < from.AddMinutes(1).AddSeconds(10))
            await Task.Delay(1000);

        await using var command = system.Database.CreateCommand("""
            SELECT extract(epoch FROM (r.created_at - r.scheduled_for)) * 1000 FROM runs r
            JOIN jobs j ON j.key = r.job_id
            WHERE j.project_id = (SELECT key FROM projects WHERE slug = $1) AND r.trigger = 'schedule'
              AND r.scheduled_for >= $2 AND r.scheduled_for < $3
            """);
        command.Parameters.Add(new NpgsqlParameter { Value = slug });
        command.Parameters.Add(new NpgsqlParameter { Value = from });
        command.Parameters.Add(new NpgsqlParameter { Value = from.AddMinutes(1) });
        var lateness = new List<double>();
        await using var reader = await command.ExecuteReaderAsync();
        while (await reader.ReadAsync())
            lateness.Add(reader.GetDouble(0));
        return lateness.Order().ToList();
    }

    private static async Task<string> CreateJobAsync(BenchSystem system, string slug, object body)
    {
        using var response = await system.Api.PostAsJsonAsync($"/api/workspaces/default/projects/{slug}/jobs", body);
        if ((int)response.StatusCode != 201)
            throw new InvalidOperationException($"creating a job answered {(int)response.StatusCode}: {await response.Content.ReadAsStringAsync()}");
        return $"/api/workspaces/default/projects/{slug}/jobs/{(await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("name").GetString()}";
    }

    private static async Task PullAsync(BenchSystem system, string slug)
    {
        using var response = await system.Api.PostAsync($"/api/workspaces/default/projects/{slug}/pull", null);
        var deadline = Stopwatch.StartNew();
        while (deadline.Elapsed < TimeSpan.FromSeconds(60))
        {
            var project = await system.Api.GetFromJsonAsync<JsonElement>($"/api/workspaces/default/projects/{slug}");
            if (project.GetProperty("revisions").GetArrayLength() > 0 && project.GetProperty("phase").ValueKind == JsonValueKind.Null)
                return;
            await Task.Delay(50);
        }
        throw new TimeoutException("the pull did not finish");
    }

    private static object Summary(List<double> sorted) => new
    {
        count = sorted.Count,
        p50 = Stats.Percentile(sorted, 50),
        p95 = Stats.Percentile(sorted, 95),
        p99 = Stats.Percentile(sorted, 99),
        max = sorted.Count == 0 ? 0 : sorted[^1],
    };

    private static double NowSeconds() => DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() / 1000.0;
}
