using System.Diagnostics;

namespace Runtime.Execution.Health;

/// <summary>
/// Health probes of a workload on loopback: over HTTP, healthy when it answers 2xx or 3xx; for a
/// <c>tcp://</c> address (an app type that promises no health path), healthy when it accepts a connection.
/// </summary>
public sealed class HealthProbe : IDisposable
{
    // Not an IHttpClientFactory client on purpose: the service defaults' resilience handler would retry a
    // failed probe and report a flapping workload as healthy.
    private readonly HttpClient _http = new(new SocketsHttpHandler { AllowAutoRedirect = false, UseProxy = false })
    {
        Timeout = TimeSpan.FromSeconds(5),
    };

    /// <summary>One probe; false on any error or non-success status.</summary>
    public async Task<bool> CheckAsync(Uri url, CancellationToken cancellationToken = default)
    {
        if (url.Scheme == "tcp")
            return await TcpConnect.TryAsync(url.Host, url.Port, _http.Timeout, cancellationToken) is null;
        try
        {
            using var response = await _http.GetAsync(url, HttpCompletionOption.ResponseHeadersRead, cancellationToken);
            return (int)response.StatusCode is >= 200 and < 400;
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException && !cancellationToken.IsCancellationRequested)
        {
            return false;
        }
    }

    /// <summary>Probes every 20 ms (a refused connection costs next to nothing) until healthy (true), <paramref name="timeout"/> passes or <paramref name="exited"/> completes (false).</summary>
    public async Task<bool> WaitReadyAsync(Uri url, TimeSpan timeout, Task exited, CancellationToken cancellationToken = default)
    {
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < timeout && !exited.IsCompleted)
        {
            if (await CheckAsync(url, cancellationToken))
                return true;
            await Task.WhenAny(exited, Task.Delay(20, cancellationToken));
        }
        return false;
    }

    public void Dispose() => _http.Dispose();
}
