using System.Buffers.Binary;
using System.Collections.Concurrent;
using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Runtime.Tests.ServiceDefaults;

/// <summary>
/// A minimal OTLP collector on a loopback port: it takes OTLP/HTTP protobuf posts on <c>/v1/traces</c>,
/// <c>/v1/metrics</c> and <c>/v1/logs</c>, or OTLP/gRPC exports (HTTP/2 without TLS), answers success
/// and keeps each payload, so tests can look for the names they emitted in the encoded bytes.
/// </summary>
internal sealed class OtlpReceiver : IAsyncDisposable
{
    private readonly WebApplication _app;
    private TaskCompletionSource _arrived = new(TaskCreationOptions.RunContinuationsAsynchronously);

    private OtlpReceiver(WebApplication app) => _app = app;

    /// <summary>Every export taken: its signal (traces, metrics, logs) and its protobuf payload.</summary>
    public ConcurrentQueue<(string Signal, byte[] Payload)> Exports { get; } = new();

    public Uri Endpoint => new(_app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First());

    public static async Task<OtlpReceiver> StartAsync(bool grpc = false)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        // gRPC over cleartext needs an HTTP/2-only endpoint (prior knowledge); OTLP/HTTP is HTTP/1.1.
        builder.WebHost.ConfigureKestrel(kestrel => kestrel.Listen(System.Net.IPAddress.Loopback, 0,
            listen => listen.Protocols = grpc ? HttpProtocols.Http2 : HttpProtocols.Http1));
        var app = builder.Build();
        var receiver = new OtlpReceiver(app);
        app.MapPost("/v1/{signal}", async (string signal, HttpContext context) =>
        {
            receiver.Take(signal, await ReadAsync(context.Request.Body));
            return Results.Bytes([], "application/x-protobuf");
        });
        app.MapPost("/opentelemetry.proto.collector.{signal}.v1.{service}/Export", async (string signal, HttpContext context) =>
        {
            var framed = await ReadAsync(context.Request.Body);
            // A gRPC message: a compression flag byte and a 4-byte big-endian length before the protobuf.
            var length = (int)BinaryPrimitives.ReadUInt32BigEndian(framed.AsSpan(1, 4));
            // The services are TraceService, MetricsService and LogsService: "trace" is the one singular.
            receiver.Take(signal == "trace" ? "traces" : signal, framed.AsSpan(5, length).ToArray());
            context.Response.ContentType = "application/grpc";
            await context.Response.Body.WriteAsync(new byte[5]); // an empty Export*ServiceResponse
            context.Response.AppendTrailer("grpc-status", "0");
        });
        await app.StartAsync();
        return receiver;
    }

    /// <summary>The first payload of <paramref name="signal"/> that contains <paramref name="text"/>, once one arrives.</summary>
    public Task<byte[]> WaitForAsync(string signal, string text, TimeSpan timeout) =>
        WaitForAsync(signal, payload => Contains(payload, text), $"'{text}'", timeout);

    /// <summary>The first payload of <paramref name="signal"/> that <paramref name="match"/> accepts, once one arrives.</summary>
    public async Task<byte[]> WaitForAsync(string signal, Func<byte[], bool> match, string what, TimeSpan timeout)
    {
        using var deadline = new CancellationTokenSource(timeout);
        while (true)
        {
            var arrived = _arrived.Task;
            var found = Exports.FirstOrDefault(e => e.Signal == signal && match(e.Payload));
            if (found.Payload is not null)
                return found.Payload;
            try
            {
                await arrived.WaitAsync(deadline.Token);
            }
            catch (OperationCanceledException)
            {
                throw new TimeoutException($"no {signal} export containing {what} within {timeout} (took {Exports.Count} exports: {string.Join(", ", Exports.Select(e => e.Signal))})");
            }
        }
    }

    /// <summary>Whether a request path is one of the receiver's.</summary>
    public static bool IsExport(PathString path) =>
        path.StartsWithSegments("/v1") || path.Value?.StartsWith("/opentelemetry.proto.collector.", StringComparison.Ordinal) == true;

    public static bool Contains(byte[] payload, string text) => payload.AsSpan().IndexOf(Encoding.UTF8.GetBytes(text)) >= 0;

    /// <summary>
    /// Whether the payload holds the attribute <paramref name="key"/> = <paramref name="value"/> (a string):
    /// the protobuf of <c>KeyValue { key = 1; value = 2 (AnyValue { string_value = 1 }) }</c>, for short strings.
    /// </summary>
    public static bool ContainsAttribute(byte[] payload, string key, string value)
    {
        byte[] k = Encoding.UTF8.GetBytes(key), v = Encoding.UTF8.GetBytes(value);
        if (k.Length > 120 || v.Length > 120)
            throw new ArgumentException("only lengths that fit one varint byte are supported");
        byte[] encoded = [0x0A, (byte)k.Length, .. k, 0x12, (byte)(v.Length + 2), 0x0A, (byte)v.Length, .. v];
        return payload.AsSpan().IndexOf(encoded) >= 0;
    }

    public async ValueTask DisposeAsync() => await _app.DisposeAsync();

    private void Take(string signal, byte[] payload)
    {
        Exports.Enqueue((signal, payload));
        Interlocked.Exchange(ref _arrived, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).TrySetResult();
    }

    private static async Task<byte[]> ReadAsync(Stream body)
    {
        using var buffer = new MemoryStream();
        await body.CopyToAsync(buffer);
        return buffer.ToArray();
    }
}
