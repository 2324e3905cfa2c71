using System.Collections.Concurrent;
using System.Net;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Runtime.Agent.Gateway;
using Runtime.Agent.Hosting;
using Runtime.Execution.Agents;

namespace Runtime.Tests.Agent;

/// <summary>
/// A stand-in for the Api's agent gateway on a loopback port, for unit tests of the agent's client side: it
/// records what comes in and answers with the status a test sets.
/// </summary>
internal sealed class FakeGateway : IAsyncDisposable
{
    private readonly WebApplication _app;

    private FakeGateway(WebApplication app) => _app = app;

    /// <summary>Log batches the gateway took, in the order they came.</summary>
    public ConcurrentQueue<List<AgentLogLine>> Batches { get; } = new();

    /// <summary>Every request: path, Authorization and agent id headers.</summary>
    public ConcurrentQueue<(string Path, string? Authorization, string? AgentId)> Requests { get; } = new();

    /// <summary>The status the next log posts get (200 unless a test sets another).</summary>
    public HttpStatusCode LogStatus { get; set; } = HttpStatusCode.OK;

    public HttpStatusCode HeartbeatStatus { get; set; } = HttpStatusCode.OK;

    /// <summary>Completes on each batch taken; replaced after.</summary>
    public TaskCompletionSource BatchTaken { get; private set; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public Uri Address => new(_app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First() + "/");

    public static async Task<FakeGateway> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        var app = builder.Build();
        var gateway = new FakeGateway(app);
        app.Use(async (context, next) =>
        {
            gateway.Requests.Enqueue((context.Request.Path, context.Request.Headers.Authorization.ToString(), context.Request.Headers[AgentGateway.AgentIdHeader].ToString()));
            await next(context);
        });
        app.MapPost(AgentGateway.Logs, async (HttpContext context) =>
        {
            if (gateway.LogStatus != HttpStatusCode.OK)
                return Results.StatusCode((int)gateway.LogStatus);
            var lines = await JsonSerializer.DeserializeAsync<List<AgentLogLine>>(context.Request.Body, GatewayClient.Json);
            gateway.Batches.Enqueue(lines!);
            var taken = gateway.BatchTaken;
            gateway.BatchTaken = new(TaskCreationOptions.RunContinuationsAsynchronously);
            taken.TrySetResult();
            return Results.Ok();
        });
        app.MapPost(AgentGateway.Heartbeat, () => gateway.HeartbeatStatus == HttpStatusCode.OK
            ? Results.Ok(new HeartbeatAnswer(Guid.NewGuid(), "edge", 10, DateTimeOffset.UtcNow))
            : Results.Problem(title: "Another agent holds this environment", statusCode: (int)gateway.HeartbeatStatus));
        await app.StartAsync();
        return gateway;
    }

    public GatewayClient Client(Guid? agentId = null) =>
        new(new AgentSettings(Address, "edge", "re_test-token", Path.GetTempPath(), "127.0.0.1", null), agentId ?? Guid.NewGuid());

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
