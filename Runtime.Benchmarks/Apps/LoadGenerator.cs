using System.Diagnostics;
using System.Net.Http.Headers;

namespace Runtime.Benchmarks.Apps;

/// <summary>What a load run saw: completed requests, failures and the latency of every successful request.</summary>
internal sealed class LoadResult
{
    private readonly List<double> _latencies = [];

    public long Requests { get; private set; }

    public long Errors { get; private set; }

    public double Seconds { get; private set; }

    public double RequestsPerSecond => Requests / Seconds;

    public double P50 => Stats.Percentile(_latencies, 50);

    public double P99 => Stats.Percentile(_latencies, 99);

    /// <summary>Adds another run's figures (the rounds of one target).</summary>
    public void Add(long requests, long errors, double seconds, IEnumerable<double> latencies)
    {
        Requests += requests;
        Errors += errors;
        Seconds += seconds;
        _latencies.AddRange(latencies);
        _latencies.Sort();
    }
}

/// <summary>
/// A closed-loop HTTP load generator: as many workers as connections, each sending GETs back to
/// back over one shared client limited to that many connections, for a fixed time.
/// </summary>
internal sealed class LoadGenerator : IDisposable
{
    private readonly HttpClient _client;
    private readonly Uri _url;
    private readonly int _connections;

    public LoadGenerator(Uri url, string? bearerToken, int connections)
    {
        _url = url;
        _connections = connections;
        _client = new HttpClient(new SocketsHttpHandler
        {
            MaxConnectionsPerServer = connections,
            UseProxy = false,
            UseCookies = false,
            AllowAutoRedirect = false,
            PooledConnectionLifetime = Timeout.InfiniteTimeSpan,
        })
        { Timeout = TimeSpan.FromSeconds(10) };
        if (bearerToken is not null)
            _client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", bearerToken);
    }

    /// <summary>Sends requests for <paramref name="length"/> and adds what it saw to <paramref name="into"/> (none when null: a warm-up).</summary>
    public async Task RunAsync(TimeSpan length, LoadResult? into)
    {
        long requests = 0;
        long errors = 0;
        var perWorker = new List<double>[_connections];
        var clock = Stopwatch.StartNew();
        var workers = Enumerable.Range(0, _connections).Select(w => Task.Run(async () =>
        {
            var latencies = perWorker[w] = new List<double>(4096);
            while (clock.Elapsed < length)
            {
                var started = Stopwatch.GetTimestamp();
                try
                {
                    using var response = await _client.GetAsync(_url);
                    await response.Content.ReadAsByteArrayAsync();
                    if ((int)response.StatusCode == 200)
                    {
                        latencies.Add(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
                        Interlocked.Increment(ref requests);
                        continue;
                    }
                }
                catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
                {
                }
                Interlocked.Increment(ref errors);
            }
        }));
        await Task.WhenAll(workers);
        var seconds = clock.Elapsed.TotalSeconds;
        into?.Add(requests, errors, seconds, perWorker.SelectMany(l => l));
    }

    public void Dispose() => _client.Dispose();
}
