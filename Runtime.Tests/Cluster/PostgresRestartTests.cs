using System.Diagnostics;
using System.Net.Http.Json;
using Runtime.AppHost.Postgres;
using Runtime.Tests.Infrastructure;
using Xunit;

namespace Runtime.Tests.Cluster;

/// <summary>
/// PostgreSQL restarted (fast shutdown, then started again on the same port and data directory) while
/// callers keep writing through the Api: two plain silo processes and one plain Api process recover by
/// themselves, and nothing they acknowledged is lost. The server is the test's own, not the shared one.
/// </summary>
public sealed class PostgresRestartTests(Xunit.Abstractions.ITestOutputHelper output) : IAsyncLifetime
{
    private const int Callers = 4;
    private static readonly TimeSpan Outage = TimeSpan.FromSeconds(20);
    private static readonly TimeSpan RecoveryBound = TimeSpan.FromSeconds(10);

    private readonly DirectoryInfo _directory = Directory.CreateTempSubdirectory("runtime-pg-restart-");
    private PostgresOptions _options = null!;
    private PostgresServer _server = null!;

    public async Task InitializeAsync()
    {
        _options = new PostgresOptions { Directory = _directory.FullName, Fsync = false };
        _server = await PostgresServer.StartAsync(_options);
        _options = _options with { Port = _server.Port };
    }

    public async Task DisposeAsync()
    {
        await _server.DisposeAsync();
        _directory.Delete(recursive: true);
    }

    [Fact]
    public async Task Silos_and_Api_recover_within_10_s_of_a_PostgreSQL_restart_under_load_and_lose_no_acknowledged_write()
    {
        await using var system = await PlainSystem.StartAsync(_server.ConnectionString(), silos: 2);
        try
        {
            var callers = new List<Caller>();
            for (var i = 0; i < Callers; i++)
            {
                var created = await system.Http.PostAsJsonAsync("/api/workspaces/default/projects", new
                {
                    name = $"Load {i}", appType = "dash", pythonEnvironment = "default", repositoryUrl = "https://git.example.com/team/load.git", branch = "main", path = "app.py",
                });
                Assert.True(201 == (int)created.StatusCode, await created.Content.ReadAsStringAsync());
                callers.Add(new Caller(system.Http, $"load-{i}"));
            }

            using var stop = new CancellationTokenSource();
            var load = callers.Select(c => c.RunAsync(stop.Token)).ToArray();
            await Eventually.Get(() => Task.FromResult(callers.Min(c => c.Acknowledged)), n => n >= 10, TimeSpan.FromSeconds(60), "ten writes of each caller before the outage");

            // Down: a fast shutdown ends every session at once.
            await _server.StopAsync(TimeSpan.FromSeconds(10));
            var down = Stopwatch.StartNew();
            await Eventually.Get(system.HealthAsync, status => status == 503, Outage, "the Api's /health to say 503 while PostgreSQL is down");
            // The outage itself lasts a fixed time: nothing to wait for but the clock.
            if (Outage > down.Elapsed)
                await Task.Delay(Outage - down.Elapsed);

            // Back on the same port and data directory.
            _server = await PostgresServer.StartAsync(_options);
            var back = DateTime.UtcNow;
            var recovered = Stopwatch.StartNew();
            await Eventually.Get(() => Task.FromResult(callers.All(c => c.LastSuccess > back)), all => all, TimeSpan.FromSeconds(60), "every caller's next acknowledged write");
            var callsBack = recovered.Elapsed;
            await Eventually.Get(system.HealthAsync, status => status == 200, TimeSpan.FromSeconds(60), "the Api's /health to say 200 again");
            var healthBack = recovered.Elapsed;

            // Load goes on after the recovery, then stops; every acknowledged write is stored.
            var after = callers.Select(c => c.Acknowledged).ToArray();
            await Eventually.Get(() => Task.FromResult(callers.Select((c, i) => c.Acknowledged - after[i]).Min()), n => n >= 10, TimeSpan.FromSeconds(60), "ten more writes of each caller");
            await stop.CancelAsync();
            await Task.WhenAll(load);
            // The same processes recovered: none exited, both silos are still Active members.
            Assert.False(system.Api.Exited.IsCompleted || system.Silos.Any(s => s.Process.Exited.IsCompleted), "a Runtime process exited");
            await Eventually.Get(system.ActiveSilosAsync, active => active == 2, TimeSpan.FromSeconds(10), "both silos Active in orleans_membership");

            output.WriteLine($"outage {Outage.TotalSeconds} s; every caller acknowledged again {callsBack.TotalSeconds:0.00} s and /health said 200 {healthBack.TotalSeconds:0.00} s after the restart");
            foreach (var caller in callers)
            {
                var stored = await StoredAsync(caller.Project);
                output.WriteLine($"{caller.Project}: {caller.Acknowledged} acknowledged, {caller.Failed} failed ({string.Join(", ", caller.FailureStatuses.Select(f => $"{f.Value}x {f.Key}"))}), last acknowledged {caller.LastAcknowledged}, last attempted {caller.LastAttempted}, stored {stored}");
                // A failed call may still have committed (its answer was lost), so the stored value is
                // the last acknowledged one or a later attempt, never an earlier one.
                Assert.InRange(stored, caller.LastAcknowledged, caller.LastAttempted);
            }
            Assert.True(callers.Sum(c => c.Failed) > 0, "no call failed: the outage was not seen");
            // A call the outage stopped says so (503, retry), not "unexpected error".
            Assert.All(callers, c => Assert.Equal([503], c.FailureStatuses.Keys.Order()));
            Assert.True(callsBack < RecoveryBound, $"writes succeeded again only {callsBack} after PostgreSQL was back");
            Assert.True(healthBack < RecoveryBound, $"/health said 200 again only {healthBack} after PostgreSQL was back");
        }
        catch
        {
            output.WriteLine(system.Failures());
            output.WriteLine(system.Output(120));
            throw;
        }
    }

    // The value last stored for the caller's project, read from its row rather than through its grain.
    private async Task<long> StoredAsync(string project)
    {
        await using var database = Npgsql.NpgsqlDataSource.Create(_server.ConnectionString());
        await using var command = database.CreateCommand("SELECT state #>> '{settings,access,variables,COUNT}' FROM projects WHERE slug = $1");
        command.Parameters.Add(new Npgsql.NpgsqlParameter { Value = project });
        return long.Parse((string)(await command.ExecuteScalarAsync())!, System.Globalization.CultureInfo.InvariantCulture);
    }

    /// <summary>Sets its project's COUNT variable to 1, 2, 3 … one call at a time, remembering what was acknowledged.</summary>
    private sealed class Caller(HttpClient http, string project)
    {
        public string Project => project;

        public long LastAttempted { get; private set; }

        public long LastAcknowledged { get; private set; }

        public int Acknowledged { get; private set; }

        public int Failed { get; private set; }

        public DateTime LastSuccess { get; private set; }

        /// <summary>The status codes of the failed calls (0: no answer).</summary>
        public System.Collections.Concurrent.ConcurrentDictionary<int, int> FailureStatuses { get; } = new();

        public async Task RunAsync(CancellationToken stop)
        {
            while (!stop.IsCancellationRequested)
            {
                var value = LastAttempted + 1;
                LastAttempted = value;
                int status;
                try
                {
                    using var response = await http.PutAsJsonAsync($"/api/workspaces/default/projects/{project}/variables/COUNT?profile=access", new { value = value.ToString(System.Globalization.CultureInfo.InvariantCulture) }, CancellationToken.None);
                    status = (int)response.StatusCode;
                }
                catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
                {
                    status = 0;
                }
                if (status is >= 200 and < 300)
                {
                    (LastAcknowledged, LastSuccess) = (value, DateTime.UtcNow);
                    Acknowledged++;
                }
                else
                {
                    Failed++;
                    FailureStatuses.AddOrUpdate(status, 1, (_, n) => n + 1);
                    // A failing call answers at once: pace the retries instead of spinning on two cores.
                    await Task.Delay(50, CancellationToken.None);
                }
            }
        }
    }
}
