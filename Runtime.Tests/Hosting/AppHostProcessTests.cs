using Runtime.Execution.Processes;
using System.Net;
using System.Net.Http.Headers;
using System.Text.RegularExpressions;
using Runtime.AppHost.Processes;
using Runtime.Tests.Infrastructure;
using Xunit;

namespace Runtime.Tests.Hosting;

/// <summary>The AppHost as a user runs it: a real process with its own PostgreSQL, silo and Api.</summary>
public sealed partial class AppHostProcessTests : IDisposable
{
    private readonly string _dataDirectory = Directory.CreateTempSubdirectory("runtime-apphost-").FullName;

    public void Dispose()
    {
        try
        {
            Directory.Delete(_dataDirectory, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    [Fact]
    public async Task AppHost_ServesHealth_StopsCleanlyOnSigint_AndReusesItsDataOnRestart()
    {
        string token;
        await using (var first = await StartAsync())
        {
            token = TokenPattern().Match(first.Process.Output).Groups[1].Value;
            Assert.StartsWith("rt_", token);
            Assert.Equal(token, (await File.ReadAllTextAsync(Path.Combine(_dataDirectory, "owner-token"))).Trim());
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(Path.Combine(_dataDirectory, "owner-token")));

            using var http = new HttpClient { BaseAddress = first.Url };
            Assert.Equal(HttpStatusCode.OK, (await http.GetAsync("/health")).StatusCode);
            Assert.Equal(HttpStatusCode.OK, (await http.GetAsync("/alive")).StatusCode);
            Assert.Equal(HttpStatusCode.OK, (await Me(http, token)).StatusCode);

            await StopWithSigintAsync(first);
            Assert.Contains("PostgreSQL stopped", first.Process.Output);
        }

        await using var second = await StartAsync();
        Assert.DoesNotMatch(TokenPattern(), second.Process.Output);
        Assert.Contains("Owner token: in", second.Process.Output);
        Assert.DoesNotContain("Applied migration", second.Process.Output);
        using (var http = new HttpClient { BaseAddress = second.Url })
            Assert.Equal(HttpStatusCode.OK, (await Me(http, token)).StatusCode);
        await StopWithSigintAsync(second);
    }

    [Fact]
    public async Task AppHost_WithAConnectionString_UsesThatServerAndStartsNone()
    {
        var cluster = await PostgresCluster.SharedAsync();
        var connectionString = await cluster.CreateDatabaseAsync();

        await using var host = await StartAsync(connectionString, silos: 2);

        Assert.Contains("starting none", host.Process.Output);
        Assert.DoesNotContain("Starting PostgreSQL", host.Process.Output);
        Assert.False(Directory.Exists(Path.Combine(_dataDirectory, "postgres")));
        Assert.Contains("Started silo-2", host.Process.Output);
        using var http = new HttpClient { BaseAddress = host.Url };
        Assert.Equal(HttpStatusCode.OK, (await http.GetAsync("/health")).StatusCode);
        await StopWithSigintAsync(host);
    }

    [Theory]
    [InlineData("--silos", "0", "--silos must be a whole number from 1 to 16")]
    [InlineData("--port", "http", "--port must be a whole number from 0 to 65535")]
    [InlineData("--frobnicate", "1", "Unknown option '--frobnicate'")]
    public async Task AppHost_WithABadArgument_ExitsWithUsage(string option, string value, string message)
    {
        await using var process = TestProcess.StartDll("host", "Runtime.AppHost.dll", [option, value], new Dictionary<string, string>());

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
        var process = TestProcess.StartDll("host", "Runtime.AppHost.dll",
            ["--data-dir", _dataDirectory, "--port", port.ToString(), "--silos", silos.ToString()],
            new Dictionary<string, string> { ["ConnectionStrings__runtime"] = connectionString });
        await process.WaitForOutputAsync("Runtime is up", TimeSpan.FromSeconds(120));
        return new RunningAppHost(process, new Uri($"http://127.0.0.1:{port}"));
    }

    private static async Task StopWithSigintAsync(RunningAppHost host)
    {
        var output = host.Process.Output;
        var children = PidPattern().Matches(output).Select(m => int.Parse(m.Groups[1].Value)).ToList();
        Assert.NotEmpty(children);

        // A test run started in the background (`dotnet test &`) ignores SIGINT, and so does every process it
        // starts, as POSIX shells arrange; the AppHost then stops on SIGTERM, which it treats alike.
        host.Process.Signal(SigintIgnored(host.Process.Pid) ? Signals.SigTerm : Signals.SigInt);

        Assert.Equal(0, await host.Process.WaitForExitAsync(TimeSpan.FromSeconds(60)));
        Assert.All(children, pid => Assert.False(Signals.IsAlive(pid), $"process {pid} is still running after the AppHost stopped"));
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

    [GeneratedRegex(@"\(pid (\d+)\)")]
    private static partial Regex PidPattern();
}
