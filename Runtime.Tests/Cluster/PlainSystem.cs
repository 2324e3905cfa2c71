using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using Runtime.Execution.Processes;
using Runtime.Tests.Infrastructure;

namespace Runtime.Tests.Cluster;

/// <summary>
/// Runtime as an operator runs it beyond one machine (README, "Running beyond one machine"):
/// Runtime.Silo and Runtime.Api as plain processes, given only the keys that section documents, none
/// of the test suite's fast settings. Each process has a data directory of its own, as on its own host.
/// </summary>
public sealed class PlainSystem : IAsyncDisposable
{
    // Orleans' status for a silo that is serving.
    private const int Active = 3;

    private readonly DirectoryInfo _root = Directory.CreateTempSubdirectory("runtime-plain-");
    private readonly string _connectionString;
    private readonly string _masterKey = Convert.ToBase64String(System.Security.Cryptography.RandomNumberGenerator.GetBytes(32));
    private readonly List<(TestProcess Process, int SiloPort)> _silos = [];

    private PlainSystem(string connectionString)
    {
        _connectionString = connectionString;
        ApiUrl = $"http://127.0.0.1:{FreePort.Next()}";
        Http = new HttpClient { BaseAddress = new Uri(ApiUrl), Timeout = TimeSpan.FromSeconds(30) };
    }

    /// <summary>
    /// The address the silos advertise, set explicitly as on hosts of their own. Loopback: tests here
    /// reach only this machine's loopback addresses.
    /// </summary>
    public static IPAddress HostAddress { get; } = IPAddress.Loopback;

    public string ApiUrl { get; }

    /// <summary>A client of the Api; with the Owner token once <see cref="StartAsync"/> has read it.</summary>
    public HttpClient Http { get; }

    public TestProcess Api { get; private set; } = null!;

    public IReadOnlyList<(TestProcess Process, int SiloPort)> Silos => _silos;

    /// <summary>The keys every process of the installation shares (runtime.env.example).</summary>
    private Dictionary<string, string> Shared() => new()
    {
        ["ConnectionStrings__runtime"] = _connectionString,
        ["Orleans__ClusterId"] = "runtime",
        ["Orleans__ServiceId"] = "runtime",
        ["Runtime__Secrets__MasterKey"] = _masterKey,
        // Not a setting of the installation: the test run's harness, so that no child outlives it.
        ["RUNTIME_PARENT_PID"] = Environment.ProcessId.ToString(CultureInfo.InvariantCulture),
    };

    /// <summary>Starts <paramref name="silos"/> silos and one Api, waits for /health 200 and reads the Owner token the Api wrote.</summary>
    public static async Task<PlainSystem> StartAsync(string connectionString, int silos)
    {
        var system = new PlainSystem(connectionString);
        try
        {
            for (var i = 1; i <= silos; i++)
                system.StartSilo($"plain-silo-{i}");
            system.StartApi();
            await system.WaitHealthyAsync(TimeSpan.FromSeconds(120));
            var token = await File.ReadAllTextAsync(Path.Combine(system._root.FullName, "api", "owner-token"));
            system.Http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token.Trim());
            return system;
        }
        catch
        {
            await system.DisposeAsync();
            throw;
        }
    }

    private void StartSilo(string name)
    {
        var (siloPort, gatewayPort) = (FreePort.Next(), FreePort.Next());
        var environment = Shared();
        environment["Runtime__Silo__Name"] = name;
        environment["Runtime__DataDirectory"] = Path.Combine(_root.FullName, name);
        environment["ASPNETCORE_URLS"] = $"http://127.0.0.1:{FreePort.Next()}";
        environment["Orleans__Endpoints__AdvertisedIPAddress"] = HostAddress.ToString();
        environment["Orleans__Endpoints__SiloPort"] = siloPort.ToString(CultureInfo.InvariantCulture);
        environment["Orleans__Endpoints__GatewayPort"] = gatewayPort.ToString(CultureInfo.InvariantCulture);
        _silos.Add((TestProcess.StartDll(name, "Runtime.Silo.dll", [], environment), siloPort));
    }

    private void StartApi()
    {
        var environment = Shared();
        environment["Runtime__DataDirectory"] = Path.Combine(_root.FullName, "api");
        environment["ASPNETCORE_URLS"] = ApiUrl;
        Api = TestProcess.StartDll("plain-api", "Runtime.Api.dll", [], environment);
    }

    /// <summary>How many of the silos are Active in cluster <c>runtime</c>'s <c>orleans_membership</c>, at the address and ports they were given.</summary>
    public async Task<long> ActiveSilosAsync()
    {
        await using var database = Npgsql.NpgsqlDataSource.Create(_connectionString);
        await using var command = database.CreateCommand(
            "SELECT count(*) FROM orleans_membership WHERE deployment_id = 'runtime' AND status = $1 AND address = $2 AND port = ANY($3)");
        command.Parameters.Add(new Npgsql.NpgsqlParameter { Value = Active });
        command.Parameters.Add(new Npgsql.NpgsqlParameter { Value = HostAddress.ToString() });
        command.Parameters.Add(new Npgsql.NpgsqlParameter { Value = _silos.Select(s => s.SiloPort).ToArray() });
        return (long)(await command.ExecuteScalarAsync())!;
    }

    /// <summary>The Api's /health status code, or 0 when it does not answer.</summary>
    public async Task<int> HealthAsync()
    {
        try
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
            using var response = await Http.GetAsync("/health", timeout.Token);
            return (int)response.StatusCode;
        }
        catch (Exception e) when (e is HttpRequestException or OperationCanceledException)
        {
            return 0;
        }
    }

    private async Task WaitHealthyAsync(TimeSpan timeout)
    {
        try
        {
            await Eventually.Get(async () =>
            {
                if (Api.Exited.IsCompleted || _silos.Any(s => s.Process.Exited.IsCompleted))
                    throw new InvalidOperationException("A Runtime process exited while starting.");
                return await HealthAsync();
            }, status => status == 200, timeout, "the Api's /health to answer 200");
        }
        catch (Exception e) when (e is TimeoutException or InvalidOperationException)
        {
            throw new InvalidOperationException($"{e.Message}\n{Output()}", e);
        }
    }

    /// <summary>Every process's last lines, for a failure's message.</summary>
    public string Output(int lines = 60) => string.Join('\n', _silos.Select(s => s.Process).Append(Api).Where(p => p is not null)
        .Select(p => string.Join('\n', p.Output.Split('\n').TakeLast(lines))));

    /// <summary>Every line any process logged at level fail, for a failure's message.</summary>
    public string Failures() => string.Join('\n', _silos.Select(s => s.Process).Append(Api).Where(p => p is not null)
        .SelectMany(p => p.Output.Split('\n')).Where(l => l.Contains(" fail: ", StringComparison.Ordinal)).Select(l => l.Length > 3000 ? l[..3000] : l));

    public async ValueTask DisposeAsync()
    {
        Http.Dispose();
        if (Api is not null)
            await Api.DisposeAsync();
        foreach (var (process, _) in _silos)
            await process.DisposeAsync();
        try
        {
            _root.Delete(recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
