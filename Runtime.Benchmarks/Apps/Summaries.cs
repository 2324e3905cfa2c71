namespace Runtime.Benchmarks.Apps;

/// <summary>The 50th and 95th percentile of a set of milliseconds.</summary>
internal sealed record Percentiles(double P50, double P95)
{
    /// <summary>Null when there are no values (a phase nobody recorded).</summary>
    public static Percentiles? Of(IEnumerable<double?> values)
    {
        var sorted = values.OfType<double>().Order().ToList();
        return sorted.Count == 0 ? null : new Percentiles(Stats.Percentile(sorted, 50), Stats.Percentile(sorted, 95));
    }
}

/// <summary>Deploy-to-ready by phase against direct starts.</summary>
internal sealed record StartSummary(
    int Runs, Percentiles Fetch, Percentiles Agent, Percentiles? Unpack, Percentiles? Venv, Percentiles? ProcessStart, Percentiles? FirstHealthy,
    Percentiles Ready, Percentiles Direct, IReadOnlyList<DeployTiming> Deploys, IReadOnlyList<double> Directs)
{
    /// <summary>Whether the agent recorded its phases for every deploy.</summary>
    public bool Phased => Deploys.All(d => d.Phases is not null);

    /// <summary>Deploy-to-ready p50 minus direct start p50.</summary>
    public double OverheadP50 => Ready.P50 - Direct.P50;

    public static StartSummary From(IReadOnlyList<DeployTiming> deploys, IReadOnlyList<double> directs) => new(
        deploys.Count,
        Percentiles.Of(deploys.Select(d => (double?)d.FetchMs))!,
        Percentiles.Of(deploys.Select(d => (double?)d.AgentMs))!,
        Percentiles.Of(deploys.Select(d => d.Phases?.UnpackMs)),
        Percentiles.Of(deploys.Select(d => d.Phases?.VenvMs)),
        Percentiles.Of(deploys.Select(d => d.Phases?.ProcessStartMs)),
        Percentiles.Of(deploys.Select(d => d.Phases?.FirstHealthyMs)),
        Percentiles.Of(deploys.Select(d => (double?)d.ReadyMs))!,
        Percentiles.Of(directs.Select(d => (double?)d))!,
        deploys, directs);

    public object ToJson(double targetMs, string? note) => new
    {
        runs = Runs,
        measured = new
        {
            readyMs = "from just before POST …/deploy (which fetches the branch again) until this process saw projects.state->>'status' = 'Deployed', polling every ~2 ms",
            fetchMs = "from the same moment until the start assignment's created_at (the silo's clock, same machine): the deploy grain call, the fetch activity (git fetch, archive, blob store) and the grain call that assigns the start",
            agentMs = "readyMs - fetchMs: the agent's claim, unpack, venv, process start, health probes (every 200 ms) and its ready report",
            phases = "the start assignment's result.phases (unpackMs, venvMs, processStartMs, firstHealthyMs) as the agent records them",
            directMs = "spawning /usr/bin/python3 app.py with the environment the Dash template renders until its health URL answers 200, polling every ~2 ms",
        },
        note,
        deployToReady = new { fetch = Fetch, agent = Agent, unpack = Unpack, venv = Venv, processStart = ProcessStart, firstHealthy = FirstHealthy, total = Ready },
        directStart = Direct,
        addedOverheadP50Ms = OverheadP50,
        targetMs,
        pass = OverheadP50 <= targetMs,
        deploys = Deploys.Select(d => new { d.ReadyMs, d.FetchMs, d.AgentMs, d.Phases }),
        directStartsMs = Directs,
    };
}

/// <summary>How one target is loaded: connections (one worker each), warm-up, then rounds of a fixed length.</summary>
internal sealed record LoadPlan(int Connections, TimeSpan Warmup, int Rounds, TimeSpan Round);

/// <summary>The app through the Api's proxy against the app itself, under one plan.</summary>
internal sealed record ProxySummary(LoadPlan Plan, LoadResult Direct, LoadResult Proxied)
{
    /// <summary>Proxied p50 minus direct p50.</summary>
    public double P50OverheadMs => Proxied.P50 - Direct.P50;

    public double ThroughputRatio => Proxied.RequestsPerSecond / Direct.RequestsPerSecond;

    public object ToJson() => new
    {
        connections = Plan.Connections,
        warmupSeconds = Plan.Warmup.TotalSeconds,
        rounds = Plan.Rounds,
        roundSeconds = Plan.Round.TotalSeconds,
        direct = Figures(Direct),
        proxy = Figures(Proxied),
        p50OverheadMs = P50OverheadMs,
        throughputRatio = ThroughputRatio,
    };

    private static object Figures(LoadResult r) => new
    {
        requestsPerSecond = r.RequestsPerSecond, p50Ms = r.P50, p99Ms = r.P99, requests = r.Requests, errors = r.Errors, seconds = r.Seconds,
    };
}
