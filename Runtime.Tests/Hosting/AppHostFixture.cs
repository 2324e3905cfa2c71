using Aspire.Hosting;
using Aspire.Hosting.ApplicationModel;
using Aspire.Hosting.Testing;
using Runtime.Tests.Infrastructure;
using Xunit;

namespace Runtime.Tests.Hosting;

/// <summary>
/// The AppHost's whole application (its PostgreSQL, two silos, the Api) under Aspire.Hosting.Testing, with
/// a data directory that outlives a restart. The silos take the tests' local Git repositories and run apps
/// with Debian's Python, which has Flask.
/// </summary>
public sealed class AppHostFixture : IAsyncLifetime
{
    public const int Silos = 2;

    private static readonly Dictionary<string, string> TestSettings = new()
    {
        ["Runtime__Git__AllowLocalRepositories"] = "true",
        ["Runtime__Agent__Python"] = "/usr/bin/python3",
    };

    public string DataDirectory { get; } = Directory.CreateTempSubdirectory("runtime-aspire-").FullName;

    public DistributedApplication App { get; private set; } = null!;

    public HttpClient Api { get; private set; } = null!;

    public string Token => File.ReadAllText(Path.Combine(DataDirectory, "owner-token")).Trim();

    public Task InitializeAsync() => StartAsync();

    public async Task DisposeAsync()
    {
        await StopAsync();
        try
        {
            Directory.Delete(DataDirectory, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    /// <summary>Stops everything, as Ctrl+C does, and starts it again on the same data directory.</summary>
    public async Task RestartAsync()
    {
        await StopAsync();
        await StartAsync();
    }

    /// <summary>An HTTP client of the Api with the Owner token.</summary>
    public HttpClient Owner()
    {
        var client = App.CreateHttpClient("api", "http");
        client.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", Token);
        return client;
    }

    public async Task<string> ConnectionStringAsync() =>
        await App.GetConnectionStringAsync("postgres") ?? throw new InvalidOperationException("The postgres resource has no connection string.");

    /// <summary>The process id of an executable resource, as the orchestrator reports it.</summary>
    public int Pid(string resource)
    {
        if (!App.ResourceNotifications.TryGetCurrentState(resource, out var state))
            throw new InvalidOperationException($"No resource {resource}.");
        return Convert.ToInt32(state.Snapshot.Properties.Single(p => p.Name == "executable.pid").Value, System.Globalization.CultureInfo.InvariantCulture);
    }

    private async Task StartAsync()
    {
        var builder = await DistributedApplicationTestingBuilder.CreateAsync<global::Projects.Runtime_AppHost>(
            ["--data-dir", DataDirectory, "--silos", Silos.ToString(System.Globalization.CultureInfo.InvariantCulture), "--port", "0"]);
        foreach (var host in builder.Resources.OfType<ExecutableResource>().Where(r => r.Name == "api" || r.Name.StartsWith("silo-", StringComparison.Ordinal)))
        {
            var resource = builder.CreateResourceBuilder(host);
            foreach (var (key, value) in TestSettings)
                resource.WithEnvironment(key, value);
        }
        App = await builder.BuildAsync();
        using var starting = new CancellationTokenSource(TimeSpan.FromMinutes(3));
        await App.StartAsync(starting.Token);
        await App.ResourceNotifications.WaitForResourceHealthyAsync("api", starting.Token);
        Api = App.CreateHttpClient("api", "http");
    }

    private async Task StopAsync()
    {
        if (App is null)
            return;
        Api.Dispose();
        await App.StopAsync();
        await App.DisposeAsync();
    }
}
