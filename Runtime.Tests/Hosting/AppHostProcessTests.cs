using Runtime.Execution.Processes;
using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Text.RegularExpressions;
using Npgsql;
using Runtime.Tests.Infrastructure;
using Xunit;

namespace Runtime.Tests.Hosting;

/// <summary>
/// The AppHost as a user runs it: <c>dotnet run --project Runtime.AppHost</c>, with its own PostgreSQL,
/// silos, Api and the Aspire dashboard. Alone, since several AppHosts would share the machine's two cores.
/// </summary>
[Collection(FailoverTimingCollection.Name)]
public sealed partial class AppHostProcessTests(Xunit.Abstractions.ITestOutputHelper output) : IDisposable
{
    private readonly string _dataDirectory = Directory.CreateTempSubdirectory("runtime-apphost-").FullName;
    private readonly MarkedProcesses _processes = new();

    public void Dispose()
    {
        foreach (var (pid, _) in _processes.Alive())
            Signals.Send(pid, Signals.SigKill);
        try
        {
            Directory.Delete(_dataDirectory, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    [Fact]
    public async Task Dotnet_run_serves_health_and_the_printed_token_stops_on_sigint_leaving_nothing_and_reuses_its_data()
    {
        string token;
        await using (var first = await StartAsync())
        {
            token = TokenPattern().Match(first.Process.Output).Groups[1].Value;
            Assert.StartsWith("rt_", token);
            Assert.Equal(token, (await File.ReadAllTextAsync(Path.Combine(_dataDirectory, "owner-token"))).Trim());
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(Path.Combine(_dataDirectory, "owner-token")));
            Assert.Matches(@"Login to the dashboard at http://localhost:\d+/login\?t=", first.Process.Output);

            using var http = new HttpClient { BaseAddress = first.Url };
            Assert.Equal(HttpStatusCode.OK, (await http.GetAsync("/health")).StatusCode);
            Assert.Equal(HttpStatusCode.OK, (await http.GetAsync("/alive")).StatusCode);
            Assert.Equal(HttpStatusCode.OK, (await Me(http, token)).StatusCode);

            await StopWithCtrlCAsync(first);
            // PostgreSQL outlived its clients and shut down cleanly: no crash recovery on the next start.
            Assert.Contains("shut down", await ClusterStateAsync());
        }

        await using var second = await StartAsync();
        Assert.DoesNotMatch(TokenPattern(), second.Process.Output);
        Assert.Contains("Owner token: in", second.Process.Output);
        using (var http = new HttpClient { BaseAddress = second.Url })
            Assert.Equal(HttpStatusCode.OK, (await Me(http, token)).StatusCode);
        await StopWithCtrlCAsync(second);
    }

    [Fact]
    public async Task With_a_connection_string_it_uses_that_server_and_starts_no_postgres()
    {
        var cluster = await PostgresCluster.SharedAsync();
        var connectionString = await cluster.CreateEmptyDatabaseAsync();

        await using var host = await StartAsync(connectionString, silos: 2);

        Assert.Contains("starting none", host.Process.Output);
        Assert.False(Directory.Exists(Path.Combine(_dataDirectory, "postgres")));
        Assert.DoesNotContain(_processes.Alive(), p => p.Command.Contains("postgres -D", StringComparison.Ordinal));
        using var http = new HttpClient { BaseAddress = host.Url };
        Assert.Equal(HttpStatusCode.OK, (await http.GetAsync("/health")).StatusCode);
        await using (var database = NpgsqlDataSource.Create(connectionString))
        {
            await Eventually.Get(async () =>
            {
                await using var count = database.CreateCommand("SELECT count(*) FROM orleans_membership WHERE status = 3");
                return (long)(await count.ExecuteScalarAsync())!;
            }, n => n == 2, TimeSpan.FromSeconds(60), "two active silos");
        }
        await StopWithCtrlCAsync(host);
    }

    [Theory]
    [InlineData("--silos", "0", "--silos must be a whole number from 1 to 16")]
    [InlineData("--port", "http", "--port must be a whole number from 0 to 65535")]
    [InlineData("--frobnicate", "1", "Unknown option '--frobnicate'")]
    public async Task A_bad_argument_exits_with_the_usage(string option, string value, string message)
    {
        await using var process = TestProcess.StartDotnet("apphost", ["run", "--project", "Runtime.AppHost", "--no-build", "--", option, value], new Dictionary<string, string>());

        Assert.Equal(2, await process.WaitForExitAsync(TimeSpan.FromSeconds(30)));
        Assert.Contains(message, process.Output);
        Assert.Contains("Usage:", process.Output);
    }

    private static Task<HttpResponseMessage> Me(HttpClient http, string token)
    {
        var request = new HttpRequestMessage(HttpMethod.Get, "/api/me");
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return http.SendAsync(request);
    }

    private async Task<RunningAppHost> StartAsync(string connectionString = "", int silos = 1)
    {
        var port = FreePort.Next();
        var process = TestProcess.StartDotnet("apphost",
            ["run", "--project", "Runtime.AppHost", "--no-build", "--", "--data-dir", _dataDirectory, "--port", port.ToString(), "--silos", silos.ToString()],
            new Dictionary<string, string> { ["ConnectionStrings__runtime"] = connectionString, [_processes.Environment.Key] = _processes.Environment.Value });
        var started = Stopwatch.StartNew();
        await process.WaitForOutputAsync("Runtime is up", TimeSpan.FromSeconds(180));
        output.WriteLine($"healthy {started.Elapsed.TotalSeconds:0.0} s after dotnet run");
        return new RunningAppHost(process, new Uri($"http://127.0.0.1:{port}"));
    }

    // Ctrl+C in a terminal signals the whole foreground process group: dotnet run and the AppHost.
    private async Task StopWithCtrlCAsync(RunningAppHost host)
    {
        Assert.NotEmpty(_processes.Alive());
        // A test run started in the background (`dotnet test &`) ignores SIGINT, and so does every process it
        // starts, as POSIX shells arrange; the AppHost then stops on SIGTERM, which it treats alike.
        Signals.SendToGroup(host.Process.Pid, SigintIgnored(host.Process.Pid) ? Signals.SigTerm : Signals.SigInt);
        var stopping = Stopwatch.StartNew();

        Assert.Equal(0, await host.Process.WaitForExitAsync(TimeSpan.FromSeconds(60)));
        var left = await Eventually.Get(() => Task.FromResult(_processes.Alive()), alive => alive.Count == 0, TimeSpan.FromSeconds(60), "every process to stop");
        output.WriteLine($"everything stopped {stopping.Elapsed.TotalSeconds:0.0} s after the signal");
        Assert.True(stopping.Elapsed < TimeSpan.FromSeconds(15), $"processes were left {stopping.Elapsed} after the signal");
        Assert.Empty(left);
    }

    private async Task<string> ClusterStateAsync()
    {
        var bin = Runtime.AppHost.Postgres.PostgresBinaries.Find();
        var info = new ProcessStartInfo(Path.Combine(bin, "pg_controldata")) { RedirectStandardOutput = true, Environment = { ["LC_ALL"] = "C" } };
        info.ArgumentList.Add(Path.Combine(_dataDirectory, "postgres", "data"));
        using var process = Process.Start(info)!;
        var text = await process.StandardOutput.ReadToEndAsync();
        await process.WaitForExitAsync();
        return text.Split('\n').Single(l => l.StartsWith("Database cluster state:", StringComparison.Ordinal));
    }

    private static bool SigintIgnored(int pid)
    {
        var ignored = File.ReadAllLines($"/proc/{pid}/status").Single(l => l.StartsWith("SigIgn:", StringComparison.Ordinal))["SigIgn:".Length..].Trim();
        return (Convert.ToUInt64(ignored, 16) & (1UL << (Signals.SigInt - 1))) != 0;
    }

    private sealed record RunningAppHost(TestProcess Process, Uri Url) : IAsyncDisposable
    {
        public ValueTask DisposeAsync() => Process.DisposeAsync();
    }

    [GeneratedRegex(@"shown once[^:]*: (rt_[A-Za-z0-9_-]+)")]
    private static partial Regex TokenPattern();
}
