using System.Net;
using System.Net.Http.Headers;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Runtime.Grains.Identity;
using Xunit;

namespace Runtime.Tests.Infrastructure;

/// <summary>
/// The real Api (in memory, through WebApplicationFactory) on a fresh database, with the default
/// workspace and its Owner token already created.
/// </summary>
public sealed class ApiFixture : IAsyncLifetime
{
    private readonly TestDatabase _database = new();
    private TestSilo? _grainHost;
    private WebApplicationFactory<Program>? _factory;
    private WebApplicationFactory<Program>? _listening;
    private string _dataDirectory = "";

    public TestDatabase Database => _database;

    public string OwnerToken { get; private set; } = "";

    public BootstrapResult Default { get; private set; } = null!;

    public IServiceProvider Services => _factory!.Services;

    /// <summary>Stops the silo the Api's grains live in: with no other silo started, none runs at all.</summary>
    public async Task StopGrainHostAsync()
    {
        if (_grainHost is not null)
            await _grainHost.DisposeAsync();
        _grainHost = null;
    }

    /// <summary>Starts the grains' silo again after <see cref="StopGrainHostAsync"/>, and waits until the Api reaches it.</summary>
    public async Task StartGrainHostAsync()
    {
        _grainHost ??= await TestSilo.StartGrainHostAsync(_database.ConnectionString, "silo-grains");
        var workspace = Services.GetRequiredService<Orleans.IGrainFactory>().GetGrain<Runtime.Grains.Workspaces.IWorkspaceGrain>(Default.WorkspaceId);
        await Eventually.Get(async () =>
        {
            try
            {
                await workspace.Get();
                return true;
            }
            catch (Exception e) when (e is Orleans.Runtime.OrleansException or TimeoutException or Orleans.Runtime.SiloUnavailableException)
            {
                return false;
            }
        }, reached => reached, TimeSpan.FromSeconds(30), "the Api to reach the grains' silo again");
    }

    public async Task InitializeAsync()
    {
        await _database.InitializeAsync();
        // The Api is an Orleans client: the grains it calls live in a silo.
        _grainHost = await TestSilo.StartGrainHostAsync(_database.ConnectionString, "silo-grains");
        _dataDirectory = Directory.CreateTempSubdirectory("runtime-api-").FullName;
        _factory = CreateFactory();
        _ = _factory.Server;
        // On this new database the Api's start made the default workspace and wrote its Owner token.
        Default = await _factory.Services.GetRequiredService<IdentityBootstrap>().EnsureAsync();
        OwnerToken = (await File.ReadAllTextAsync(Path.Combine(_dataDirectory, "owner-token"))).Trim();
    }

    private WebApplicationFactory<Program> CreateFactory() => new WebApplicationFactory<Program>().WithWebHostBuilder(b =>
    {
        foreach (var (key, value) in TestRuntime.FastDelivery)
            b.UseSetting(key, value);
        b.UseSetting("ConnectionStrings:runtime", _database.ConnectionString);
        b.UseSetting("Runtime:DataDirectory", _dataDirectory);
        // An operator's ceiling, for the tests of requests that would raise it.
        b.UseSetting("Runtime:Execution:MaxMemoryMb", "4096");
        b.ConfigureLogging(logging => logging.AddProvider(new RecordingLoggerProvider()));
    });

    /// <summary>
    /// The same Api, on the same database, listening on a real loopback port (started on first use): what
    /// WebSockets through the proxy and clients with a real cookie jar need. It is a second Api node, as
    /// a cluster has, so a session started on one is honoured by the other.
    /// </summary>
    public Uri ListeningAddress
    {
        get
        {
            if (_listening is null)
            {
                var factory = CreateFactory();
                factory.UseKestrel(o => o.Listen(IPAddress.Loopback, 0));
                factory.StartServer();
                _listening = factory;
            }
            return new Uri(_listening.Services.GetRequiredService<IServer>().Features.GetRequiredFeature<IServerAddressesFeature>().Addresses.First());
        }
    }

    public async Task DisposeAsync()
    {
        if (_listening is not null)
            await _listening.DisposeAsync();
        if (_factory is not null)
            await _factory.DisposeAsync();
        if (_grainHost is not null)
            await _grainHost.DisposeAsync();
        await _database.DisposeAsync();
        Directory.Delete(_dataDirectory, recursive: true);
    }

    /// <summary>A client sending <paramref name="token"/> as its bearer token (none when null).</summary>
    public HttpClient Client(string? token)
    {
        var client = _factory!.CreateClient();
        if (token is not null)
            client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return client;
    }

    /// <summary>A browser-like client: no Authorization header, a cookie jar, redirects left to the test.</summary>
    public HttpClient Browser() => _factory!.CreateClient(new WebApplicationFactoryClientOptions { AllowAutoRedirect = false, HandleCookies = true });

    /// <summary>A client with the default workspace's Owner token.</summary>
    public HttpClient Owner() => Client(OwnerToken);
}
