using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using Runtime.Agent.Hosting;
using Runtime.Execution.Agents;

namespace Runtime.Agent.Gateway;

/// <summary>
/// The agent's side of the agent gateway (<see cref="AgentGateway"/>): one call per endpoint, each with the
/// environment's token and the agent's id. Errors are <see cref="GatewayException"/> (an answer) or
/// <see cref="HttpRequestException"/> / <see cref="TimeoutException"/> (no answer); retrying is the caller's choice.
/// </summary>
internal sealed class GatewayClient : IDisposable
{
    /// <summary>JSON as the Api speaks it: web defaults (camelCase).</summary>
    public static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    private static readonly TimeSpan RequestTimeout = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan ArchiveTimeout = TimeSpan.FromMinutes(10);

    /// <summary>What a long-poll claim may take beyond its wait before it counts as lost.</summary>
    private static readonly TimeSpan ClaimSlack = TimeSpan.FromSeconds(15);

    private readonly HttpClient _http;

    public GatewayClient(AgentSettings settings, Guid agentId, HttpMessageHandler? handler = null)
    {
        AgentId = agentId;
        // Timeouts per call: a claim waits long, an archive may be large, everything else is quick.
        // Not an IHttpClientFactory client on purpose: the service defaults' resilience handler would cut a
        // long-poll claim or an archive download at 30 s and replay reports that are not idempotent.
        _http = new HttpClient(handler ?? new SocketsHttpHandler { PooledConnectionLifetime = TimeSpan.FromMinutes(2) })
        {
            BaseAddress = settings.Api,
            Timeout = Timeout.InfiniteTimeSpan,
        };
        _http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", settings.Token);
        _http.DefaultRequestHeaders.Add(AgentGateway.AgentIdHeader, agentId.ToString("D"));
        _http.DefaultRequestHeaders.UserAgent.Add(new ProductInfoHeaderValue("runtime-agent", "1"));
    }

    public Guid AgentId { get; }

    public async Task<HeartbeatAnswer> HeartbeatAsync(AgentHeartbeat heartbeat, CancellationToken ct) =>
        await PostAsync<AgentHeartbeat, HeartbeatAnswer>(AgentGateway.Heartbeat, heartbeat, RequestTimeout, ct)
        ?? throw new System.Text.Json.JsonException("the heartbeat answer is empty");

    /// <summary>Up to <paramref name="max"/> assignments, waiting up to <paramref name="wait"/> for one to come.</summary>
    public async Task<IReadOnlyList<AgentAssignment>> ClaimAsync(int max, TimeSpan wait, CancellationToken ct) =>
        await PostAsync<ClaimRequest, List<AgentAssignment>>(AgentGateway.Claim, new ClaimRequest(AgentId, max, (int)wait.TotalSeconds), wait + ClaimSlack, ct) ?? [];

    public Task CompleteAsync(Guid assignmentId, bool succeeded, object? result, CancellationToken ct) =>
        PostAsync(AgentGateway.Complete(assignmentId),
            new CompleteRequest(AgentId, succeeded, result is null ? null : JsonSerializer.SerializeToElement(result, Json)), RequestTimeout, ct);

    public Task ReportAsync(AgentReport report, CancellationToken ct) => PostAsync(AgentGateway.Reports, report, RequestTimeout, ct);

    public Task SendLogsAsync(IReadOnlyList<AgentLogLine> lines, CancellationToken ct) => PostAsync(AgentGateway.Logs, lines, RequestTimeout, ct);

    /// <summary>Writes the archive with hash <paramref name="hash"/> to <paramref name="destination"/>.</summary>
    public async Task DownloadArchiveAsync(string hash, Stream destination, CancellationToken ct)
    {
        using var timeout = Deadline(ArchiveTimeout, ct);
        var path = AgentGateway.Archive(Uri.EscapeDataString(hash));
        try
        {
            using var response = await _http.GetAsync(Relative(path), HttpCompletionOption.ResponseHeadersRead, timeout.Token);
            await EnsureSuccessAsync(response, path, timeout.Token);
            await response.Content.CopyToAsync(destination, timeout.Token);
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            throw new TimeoutException($"downloading archive {hash} took longer than {ArchiveTimeout.TotalMinutes:0} minutes");
        }
    }

    public void Dispose() => _http.Dispose();

    private async Task PostAsync<TBody>(string path, TBody body, TimeSpan limit, CancellationToken ct)
    {
        using var timeout = Deadline(limit, ct);
        try
        {
            using var response = await _http.PostAsync(Relative(path), Body(body), timeout.Token);
            await EnsureSuccessAsync(response, path, timeout.Token);
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            throw new TimeoutException($"{path} did not answer within {limit.TotalSeconds:0} s");
        }
    }

    private async Task<TAnswer?> PostAsync<TBody, TAnswer>(string path, TBody body, TimeSpan limit, CancellationToken ct)
    {
        using var timeout = Deadline(limit, ct);
        try
        {
            using var response = await _http.PostAsync(Relative(path), Body(body), timeout.Token);
            await EnsureSuccessAsync(response, path, timeout.Token);
            return await response.Content.ReadFromJsonAsync<TAnswer>(Json, timeout.Token);
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            throw new TimeoutException($"{path} did not answer within {limit.TotalSeconds:0} s");
        }
    }

    // With a length rather than chunked: proxies in front of the Api take that more readily.
    private static ByteArrayContent Body<TBody>(TBody body)
    {
        var content = new ByteArrayContent(JsonSerializer.SerializeToUtf8Bytes(body, Json));
        content.Headers.ContentType = new MediaTypeHeaderValue("application/json") { CharSet = "utf-8" };
        return content;
    }

    // The gateway's paths are absolute; the Api may live under a path prefix of its base address.
    private static string Relative(string path) => path.TrimStart('/');

    private static CancellationTokenSource Deadline(TimeSpan limit, CancellationToken ct)
    {
        var source = CancellationTokenSource.CreateLinkedTokenSource(ct);
        source.CancelAfter(limit);
        return source;
    }

    private static async Task EnsureSuccessAsync(HttpResponseMessage response, string path, CancellationToken ct)
    {
        if (response.IsSuccessStatusCode)
            return;
        string detail;
        try
        {
            detail = await response.Content.ReadAsStringAsync(ct);
        }
        catch (HttpRequestException)
        {
            detail = "";
        }
        throw new GatewayException(response.StatusCode, path, Summarize(detail));
    }

    // A ProblemDetails' title and detail, or the first part of another answer, on one line.
    private static string Summarize(string body)
    {
        try
        {
            using var document = JsonDocument.Parse(body);
            if (document.RootElement.ValueKind == JsonValueKind.Object)
            {
                var parts = new[] { "title", "detail" }
                    .Select(p => document.RootElement.TryGetProperty(p, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null)
                    .OfType<string>();
                var text = string.Join(": ", parts);
                if (text.Length > 0)
                    return text;
            }
        }
        catch (JsonException)
        {
        }
        var line = body.ReplaceLineEndings(" ").Trim();
        return line.Length > 200 ? line[..200] + "…" : line;
    }
}
