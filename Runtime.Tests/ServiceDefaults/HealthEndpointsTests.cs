using System.Net;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Runtime.ServiceDefaults;
using Xunit;

namespace Runtime.Tests.ServiceDefaults;

/// <summary><c>/health</c> answers 503 only when a critical check fails and lists every check; <c>/alive</c> runs the live checks only.</summary>
public sealed class HealthEndpointsTests : IAsyncLifetime
{
    private readonly Switches _failing = new();
    private DefaultsHost _host = null!;

    public async Task InitializeAsync() =>
        _host = await DefaultsHost.StartAsync(new Dictionary<string, string?> { [OpenTelemetryDefaults.EndpointSetting] = "" }, builder =>
            builder.Services.AddHealthChecks()
                // Like the database: registered as Unhealthy on failure, so it is critical.
                .AddCheck("critical", new SwitchedCheck(() => _failing.Critical), HealthStatus.Unhealthy, [])
                // Like Docker: it degrades the host but does not take it out of service.
                .AddCheck("optional", new SwitchedCheck(() => _failing.Optional), HealthStatus.Degraded, []));

    public async Task DisposeAsync() => await _host.DisposeAsync();

    [Fact]
    public async Task Health_is_200_and_lists_every_check_when_all_pass()
    {
        var (status, body) = await GetAsync(Extensions.HealthPath);

        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal("Healthy", body.GetProperty("status").GetString());
        Assert.Equal(["critical", "memory", "optional", "self"], body.GetProperty("checks").EnumerateObject().Select(c => c.Name).Order());
    }

    [Fact]
    public async Task A_failing_optional_check_degrades_health_but_it_still_answers_200()
    {
        _failing.Optional = true;

        var (status, body) = await GetAsync(Extensions.HealthPath);

        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal("Degraded", body.GetProperty("status").GetString());
        Assert.Equal("Degraded", body.GetProperty("checks").GetProperty("optional").GetProperty("status").GetString());
        Assert.Equal("down", body.GetProperty("checks").GetProperty("optional").GetProperty("description").GetString());
    }

    [Fact]
    public async Task A_failing_critical_check_makes_health_503_while_alive_stays_200()
    {
        _failing.Critical = true;

        var (health, body) = await GetAsync(Extensions.HealthPath);
        var (alive, liveBody) = await GetAsync(Extensions.AlivePath);

        Assert.Equal(HttpStatusCode.ServiceUnavailable, health);
        Assert.Equal("Unhealthy", body.GetProperty("checks").GetProperty("critical").GetProperty("status").GetString());
        Assert.Equal(HttpStatusCode.OK, alive);
        Assert.Equal(["self"], liveBody.GetProperty("checks").EnumerateObject().Select(c => c.Name));
    }

    private async Task<(HttpStatusCode Status, JsonElement Body)> GetAsync(string path)
    {
        using var response = await _host.Client.GetAsync(path);
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        return (response.StatusCode, JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.Clone());
    }

    /// <summary>Fails with its registration's failure status, as Runtime's checks do, while its switch is on.</summary>
    private sealed class SwitchedCheck(Func<bool> failing) : IHealthCheck
    {
        public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default) =>
            Task.FromResult(failing() ? new HealthCheckResult(context.Registration.FailureStatus, "down") : HealthCheckResult.Healthy());
    }

    private sealed class Switches
    {
        public bool Critical { get; set; }

        public bool Optional { get; set; }
    }
}
