using System.Diagnostics;
using Runtime.Execution.Processes;
using Runtime.Execution.Templates;

namespace Runtime.Benchmarks.Apps;

/// <summary>
/// The baseline for deploy-to-ready: the same app started by hand — the command and environment the
/// Dash template renders for the agent, spawned directly, its health URL polled every ~2 ms until 200.
/// </summary>
internal static class DirectStart
{
    private static readonly TimeSpan Poll = TimeSpan.FromMilliseconds(2);
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);

    /// <summary>Milliseconds from spawning the process to its first 200; the process is stopped before returning.</summary>
    public static async Task<double> MeasureAsync(string workDirectory, string basePath, HttpClient http)
    {
        var port = FreePort.Next();
        var app = AppTemplates.Render(new TemplateInput("dash", FlaskRepository.Entrypoint, port, "127.0.0.1", basePath, workDirectory, null, BenchSystem.Python));
        var info = new ProcessStartInfo(app.Command[0])
        {
            WorkingDirectory = workDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
        };
        foreach (var argument in app.Command.Skip(1))
            info.ArgumentList.Add(argument);
        foreach (var (key, value) in app.Environment)
            info.Environment[key] = value;
        var health = new Uri($"http://127.0.0.1:{port}{app.HealthPath}");

        var clock = Stopwatch.StartNew();
        using var process = Process.Start(info)!;
        // Read the output as the agent does, so that a full pipe never blocks the app.
        process.OutputDataReceived += (_, _) => { };
        process.ErrorDataReceived += (_, _) => { };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        process.StandardInput.Close();
        try
        {
            while (clock.Elapsed < Timeout && !process.HasExited)
            {
                if (await AnswersAsync(http, health))
                    return clock.Elapsed.TotalMilliseconds;
                await Task.Delay(Poll);
            }
            throw new InvalidOperationException(process.HasExited
                ? $"The app exited with code {process.ExitCode} before answering {health}."
                : $"The app did not answer {health} within {Timeout.TotalSeconds:0} s.");
        }
        finally
        {
            if (!process.HasExited)
                Signals.Send(process.Id, Signals.SigTerm);
            using var grace = new CancellationTokenSource(TimeSpan.FromSeconds(10));
            try
            {
                await process.WaitForExitAsync(grace.Token);
            }
            catch (OperationCanceledException)
            {
                process.Kill(entireProcessTree: true);
            }
        }
    }

    private static async Task<bool> AnswersAsync(HttpClient http, Uri url)
    {
        try
        {
            using var response = await http.GetAsync(url, HttpCompletionOption.ResponseHeadersRead);
            return (int)response.StatusCode == 200;
        }
        catch (HttpRequestException)
        {
            return false;
        }
    }
}
