using System.Diagnostics;

namespace Runtime.Benchmarks.Apps;

/// <summary>
/// <c>apps</c>: deploy-to-ready of a small Flask app against starting it by hand, and the Api's app
/// proxy against the app itself under 32 concurrent connections.
/// </summary>
internal static class AppsBenchmark
{
    private const int Deploys = 20;
    private const double OverheadTargetMs = 150;
    private const double ProxyOverheadTargetMs = 1;
    private const double ThroughputTarget = 0.8;

    /// <summary>The load the targets are about: 32 connections, 10 s per target.</summary>
    private static readonly LoadPlan Loaded = new(32, TimeSpan.FromSeconds(2), 2, TimeSpan.FromSeconds(5));

    /// <summary>For context: one connection, so that the proxy's own per-request cost is not hidden by queueing at the app.</summary>
    private static readonly LoadPlan Single = new(1, TimeSpan.FromSeconds(1), 1, TimeSpan.FromSeconds(3));

    private const string NoPhases = "the agent recorded no phases (the start assignment's result has only pid and port), so unpack, venv, process start and first healthy probe are n/a";

    public static async Task<int> RunAsync()
    {
        var started = Stopwatch.StartNew();
        Console.WriteLine($"Runtime.Benchmarks apps — {Environment.ProcessorCount} cores, .NET {Environment.Version}");
        using var repository = FlaskRepository.Create();
        await using var system = await BenchSystem.StartAsync();
        Console.WriteLine($"PostgreSQL {system.PostgresVersion} (fsync on); one silo and the Api as child processes; their output: {system.LogPath}");
        var project = await ProjectDriver.CreateAsync(system, repository.FileUrl);

        var (deploys, directs) = await MeasureStartsAsync(project, repository.WorkPath);
        var start = StartSummary.From(deploys, directs);
        PrintStarts(start);

        Console.WriteLine();
        await project.DeployAsync();
        var address = await project.AddressAsync();
        var directUrl = new Uri(address + project.AppPath);
        var proxyUrl = new Uri(system.ApiUrl + project.AppPath);
        var loaded = await MeasureProxyAsync(Loaded, directUrl, proxyUrl, system.Token);
        var single = await MeasureProxyAsync(Single, directUrl, proxyUrl, system.Token);
        await project.StopAsync();
        PrintProxy(loaded, single, address, system.ApiUrl, project.AppPath);

        var result = new
        {
            benchmark = "apps",
            at = DateTimeOffset.UtcNow,
            machine = new { cores = Environment.ProcessorCount, postgres = system.PostgresVersion, dotnet = Environment.Version.ToString() },
            start = start.ToJson(OverheadTargetMs, start.Phased ? null : NoPhases),
            proxy = new
            {
                path = project.AppPath,
                measured = "closed loop: one worker per connection sends GET and reads the body, back to back; latency from send to body read. "
                    + "direct: the app's own address; proxy: the Api's /apps/<workspace>/<slug>/ with the Owner's bearer token. Only 200s count; anything else is an error",
                loaded = loaded.ToJson(),
                single = single.ToJson(),
                targetP50OverheadMs = ProxyOverheadTargetMs,
                targetThroughputRatio = ThroughputTarget,
                pass = loaded.P50OverheadMs <= ProxyOverheadTargetMs && loaded.ThroughputRatio >= ThroughputTarget,
            },
            seconds = started.Elapsed.TotalSeconds,
        };
        Console.WriteLine($"\nwrote {await Artifacts.WriteAsync("apps", result)} ({started.Elapsed.TotalSeconds:0} s)");

        if (new[] { loaded, single }.Sum(p => p.Direct.Errors + p.Proxied.Errors) > 0)
        {
            Console.WriteLine("CORRECTNESS CHECK FAILED: some requests did not answer 200");
            return 1;
        }
        return 0;
    }

    // Deploys and direct starts alternate, so that whatever else the machine is doing weighs on both alike.
    private static async Task<(List<DeployTiming> Deploys, List<double> Directs)> MeasureStartsAsync(ProjectDriver project, string workDirectory)
    {
        using var http = new HttpClient(new SocketsHttpHandler { UseProxy = false, AllowAutoRedirect = false }) { Timeout = TimeSpan.FromSeconds(5) };
        var basePath = project.AppPath.TrimEnd('/');

        // Warm-up, not counted: the hosts' first deploy, the page cache for Python and Flask.
        await project.DeployAsync();
        await project.StopAsync();
        await DirectStart.MeasureAsync(workDirectory, basePath, http);

        var deploys = new List<DeployTiming>();
        var directs = new List<double>();
        Console.WriteLine($"\n{Deploys} deploys (POST …/deploy → Deployed, then stop) alternating with {Deploys} direct starts:");
        for (var i = 0; i < Deploys; i++)
        {
            if (i % 2 == 0)
                directs.Add(await DirectStart.MeasureAsync(workDirectory, basePath, http));
            var deploy = await project.DeployAsync();
            deploys.Add(deploy);
            await project.StopAsync();
            if (i % 2 == 1)
                directs.Add(await DirectStart.MeasureAsync(workDirectory, basePath, http));
            Console.WriteLine($"  {i + 1,2}: deploy-to-ready {deploy.ReadyMs,6:0} ms (fetch {deploy.FetchMs,4:0}, agent {deploy.AgentMs,4:0})   direct start {directs[^1],5:0} ms");
        }
        return (deploys, directs);
    }

    // Rounds alternate between the targets for the same reason.
    private static async Task<ProxySummary> MeasureProxyAsync(LoadPlan plan, Uri directUrl, Uri proxyUrl, string token)
    {
        using var direct = new LoadGenerator(directUrl, null, plan.Connections);
        using var proxy = new LoadGenerator(proxyUrl, token, plan.Connections);
        await direct.RunAsync(plan.Warmup, null);
        await proxy.RunAsync(plan.Warmup, null);
        var summary = new ProxySummary(plan, new LoadResult(), new LoadResult());
        for (var round = 0; round < plan.Rounds; round++)
        {
            await direct.RunAsync(plan.Round, summary.Direct);
            await proxy.RunAsync(plan.Round, summary.Proxied);
        }
        return summary;
    }

    private static void PrintStarts(StartSummary s)
    {
        Console.WriteLine();
        Console.WriteLine($"{$"deploy-to-ready, {s.Runs} deploys",-58}{"p50 ms",9}{"p95 ms",9}");
        Row("  git fetch (POST deploy → start assignment recorded)", s.Fetch);
        Row("  agent (start assignment recorded → Deployed seen)", s.Agent);
        Row("    unpack", s.Unpack);
        Row("    venv (reuse)", s.Venv);
        Row("    process start", s.ProcessStart);
        Row("    first healthy probe", s.FirstHealthy);
        Row("  total (POST deploy → Deployed seen)", s.Ready);
        Row($"direct start, {s.Runs} runs (spawn python3 app.py → first 200)", s.Direct);
        Console.WriteLine($"{$"added start overhead p50 (target <= {OverheadTargetMs:0} ms)",-58}{s.OverheadP50,9:0.0}   {Stats.Verdict(s.OverheadP50 <= OverheadTargetMs)}");
        if (!s.Phased)
            Console.WriteLine($"note: {NoPhases}.");
    }

    private static void PrintProxy(ProxySummary loaded, ProxySummary single, string address, string apiUrl, string appPath)
    {
        Console.WriteLine($"{$"proxy, GET {appPath}",-52}{"req/s",8}{"p50 ms",9}{"p99 ms",9}{"requests",10}{"errors",8}");
        foreach (var p in new[] { loaded, single })
        {
            Console.WriteLine($"  {p.Plan.Connections} connection{(p.Plan.Connections == 1 ? "" : "s")}, {p.Plan.Rounds} × {p.Plan.Round.TotalSeconds:0} s per target, alternating, after {p.Plan.Warmup.TotalSeconds:0} s warm-up");
            Load($"    direct  {address}", p.Direct);
            Load($"    proxy   {apiUrl}", p.Proxied);
        }
        Console.WriteLine($"{$"p50 overhead, {loaded.Plan.Connections} connections (target <= {ProxyOverheadTargetMs:0} ms)",-52}{"",8}{loaded.P50OverheadMs,9:0.00}   {Stats.Verdict(loaded.P50OverheadMs <= ProxyOverheadTargetMs)}");
        Console.WriteLine($"{$"p50 overhead, {single.Plan.Connections} connection (context)",-52}{"",8}{single.P50OverheadMs,9:0.00}");
        Console.WriteLine($"{$"throughput ratio, {loaded.Plan.Connections} connections (target >= {ThroughputTarget})",-52}{loaded.ThroughputRatio,8:0.00}{"",9}   {Stats.Verdict(loaded.ThroughputRatio >= ThroughputTarget)}");
    }

    private static void Row(string label, Percentiles? value) =>
        Console.WriteLine($"{label,-58}{Cell(value?.P50),9}{Cell(value?.P95),9}");

    private static void Load(string label, LoadResult r) =>
        Console.WriteLine($"{label,-52}{r.RequestsPerSecond,8:0}{r.P50,9:0.00}{r.P99,9:0.00}{r.Requests,10}{r.Errors,8}");

    private static string Cell(double? value) => value is { } v ? v.ToString("0.0") : "n/a";
}
