using System.Diagnostics;
using Microsoft.Extensions.Logging.Abstractions;
using Runtime.Execution.Docker;
using Runtime.Execution.Logs;
using Runtime.Execution.Processes;
using Runtime.Execution.Workloads;

namespace Runtime.Benchmarks.Docker;

/// <summary>
/// The docker executor's own cost: container start to ready, for a trivial HTTP app (ready: its first answer on the
/// published loopback port) and a batch run (start to exit), through <see cref="DockerExecutor"/> and through
/// <c>docker run</c> of the same image from the command line, alternated in the same run. Runtime's overhead is
/// the difference of the medians; target p50 ≤ 100 ms.
/// </summary>
internal static class DockerBenchmark
{
    private const int Rounds = 20;
    private const double TargetMs = 100;
    private static readonly HttpClient Http = new() { Timeout = TimeSpan.FromSeconds(2) };

    public static async Task<int> RunAsync()
    {
        using var engine = new DockerEngine();
        var status = await engine.CheckAsync();
        if (!status.Available)
        {
            Console.Error.WriteLine($"docker benchmark: {status.Reason}");
            return 1;
        }
        var image = ExecutionImages.Default;
        await new DockerImages(engine).EnsureAsync(image, autoBuild: false, Console.WriteLine);
        var executor = new DockerExecutor(engine, new DockerImages(engine), new DockerExecutorSettings("bench-" + Guid.NewGuid().ToString("N")[..8], image),
            NullLogger<DockerExecutor>.Instance);
        var folder = Directory.CreateTempSubdirectory("runtime-docker-bench-").FullName;
        try
        {
            // One of each, unmeasured: the engine's caches warm up.
            await AppThroughExecutorAsync(executor, folder);
            await AppThroughCliAsync(image);
            var (appRuntime, appCli, runRuntime, runCli) = (new List<double>(), new List<double>(), new List<double>(), new List<double>());
            for (var round = 0; round < Rounds; round++)
            {
                appRuntime.Add(await AppThroughExecutorAsync(executor, folder));
                appCli.Add(await AppThroughCliAsync(image));
                runRuntime.Add(await RunThroughExecutorAsync(executor, folder));
                runCli.Add(await RunThroughCliAsync(image));
            }
            var app = Report("app start to ready", appRuntime, appCli);
            var run = Report("batch run start to exit", runRuntime, runCli);
            var path = await Artifacts.WriteAsync("docker", new { benchmark = "docker", engine = status.Version, image, rounds = Rounds, targetOverheadP50Ms = TargetMs, app, run });
            Console.WriteLine($"written to {path}");
            return app.Pass && run.Pass ? 0 : 1;
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    private sealed record Figures(double RuntimeP50, double RuntimeP95, double CliP50, double CliP95, double OverheadP50, double Ratio, bool Pass);

    private static Figures Report(string what, List<double> runtime, List<double> cli)
    {
        var (r, c) = (runtime.Order().ToList(), cli.Order().ToList());
        var overhead = Stats.Percentile(r, 50) - Stats.Percentile(c, 50);
        var figures = new Figures(Stats.Percentile(r, 50), Stats.Percentile(r, 95), Stats.Percentile(c, 50), Stats.Percentile(c, 95), overhead,
            Stats.Percentile(r, 50) / Stats.Percentile(c, 50), overhead <= TargetMs);
        Console.WriteLine($"{what}: Runtime p50 {figures.RuntimeP50:0} ms, p95 {figures.RuntimeP95:0} ms; docker run p50 {figures.CliP50:0} ms, p95 {figures.CliP95:0} ms; " +
            $"overhead p50 {overhead:0} ms (ratio {figures.Ratio:0.00}), target <= {TargetMs} ms {Stats.Verdict(figures.Pass)}");
        return figures;
    }

    private static async Task<double> AppThroughExecutorAsync(DockerExecutor executor, string folder)
    {
        var port = FreePort.Next();
        var spec = new ProcessSpec("bench/app", ["python3", "-m", "http.server", port.ToString(), "--bind", "0.0.0.0"], folder, new Dictionary<string, string>(),
            OutputDirectory: Path.Combine(folder, "out-" + port), Ports: [port]);
        var clock = Stopwatch.StartNew();
        await using var workload = await executor.StartAsync(spec, new Discard(), CancellationToken.None);
        await AnswersAsync(port);
        var took = clock.Elapsed.TotalMilliseconds;
        await workload.StopAsync("done", TimeSpan.FromSeconds(2));
        return took;
    }

    private static async Task<double> AppThroughCliAsync(string image)
    {
        var port = FreePort.Next();
        var name = "runtime-bench-" + Guid.NewGuid().ToString("N")[..8];
        var clock = Stopwatch.StartNew();
        await DockerCliAsync("run", "-d", "--init", "--name", name, "-p", $"127.0.0.1:{port}:{port}", image, "python3", "-m", "http.server", port.ToString(), "--bind", "0.0.0.0");
        await AnswersAsync(port);
        var took = clock.Elapsed.TotalMilliseconds;
        await DockerCliAsync("rm", "-f", name);
        return took;
    }

    private static async Task<double> RunThroughExecutorAsync(DockerExecutor executor, string folder)
    {
        var spec = new ProcessSpec("bench/run", ["python3", "-c", "pass"], folder, new Dictionary<string, string>(), OutputDirectory: Path.Combine(folder, "out-run"));
        var clock = Stopwatch.StartNew();
        await using var workload = await executor.StartAsync(spec, new Discard(), CancellationToken.None);
        await workload.Exited;
        return clock.Elapsed.TotalMilliseconds;
    }

    private static async Task<double> RunThroughCliAsync(string image)
    {
        var clock = Stopwatch.StartNew();
        await DockerCliAsync("run", "--rm", "--init", "--network", "none", image, "python3", "-c", "pass");
        return clock.Elapsed.TotalMilliseconds;
    }

    private static async Task AnswersAsync(int port)
    {
        var deadline = Stopwatch.StartNew();
        while (deadline.Elapsed < TimeSpan.FromSeconds(30))
        {
            try
            {
                using var response = await Http.GetAsync($"http://127.0.0.1:{port}/");
                if (response.IsSuccessStatusCode)
                    return;
            }
            catch (HttpRequestException)
            {
            }
            await Task.Delay(5);
        }
        throw new TimeoutException($"nothing answered on port {port} within 30 s");
    }

    private static async Task DockerCliAsync(params string[] arguments)
    {
        var info = new ProcessStartInfo("docker") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var argument in arguments)
            info.ArgumentList.Add(argument);
        using var process = Process.Start(info)!;
        var error = process.StandardError.ReadToEndAsync();
        await process.StandardOutput.ReadToEndAsync();
        await process.WaitForExitAsync();
        if (process.ExitCode != 0)
            throw new InvalidOperationException($"docker {string.Join(' ', arguments)} failed: {await error}");
    }

    private sealed class Discard : ILogSink
    {
        public void Write(LogLine line)
        {
        }
    }
}
