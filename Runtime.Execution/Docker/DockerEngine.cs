using System.Net.Sockets;
using Docker.DotNet;

namespace Runtime.Execution.Docker;

/// <summary>What <see cref="DockerEngine.CheckAsync"/> found.</summary>
/// <param name="Reason">Why the engine cannot be used; null when it can.</param>
public sealed record DockerEngineStatus(bool Available, string? Reason, string? Version = null, string? ApiVersion = null);

/// <summary>
/// The Docker engine the docker executor talks to: the unix socket <c>/var/run/docker.sock</c>, or
/// <c>DOCKER_HOST</c> (<c>unix://</c> or <c>tcp://</c>). Requests ask for API <see cref="ApiVersion"/>, the
/// version of Docker 20.10 that Debian 12 ships, so that an engine that old understands every call.
/// </summary>
public sealed class DockerEngine : IDisposable
{
    /// <summary>The Engine API version asked for, and the oldest one accepted.</summary>
    public static readonly Version ApiVersion = new(1, 41);

    public const string DefaultEndpoint = "unix:///var/run/docker.sock";

    private static readonly TimeSpan CheckTimeout = TimeSpan.FromSeconds(5);

    private readonly DockerClientConfiguration _configuration;

    /// <param name="endpoint">null: <c>DOCKER_HOST</c> when set, else <see cref="DefaultEndpoint"/>.</param>
    public DockerEngine(string? endpoint = null)
    {
        Endpoint = EndpointFrom(endpoint ?? Environment.GetEnvironmentVariable("DOCKER_HOST"));
        _configuration = new DockerClientConfiguration(Endpoint);
        Client = _configuration.CreateClient(ApiVersion);
    }

    public Uri Endpoint { get; }

    /// <summary>The Docker.DotNet client, asking for API 1.41.</summary>
    public DockerClient Client { get; }

    /// <summary>Whether the engine answers and speaks API 1.41 or later; never throws for an absent or broken engine.</summary>
    public async Task<DockerEngineStatus> CheckAsync(CancellationToken ct = default)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeout.CancelAfter(CheckTimeout);
        try
        {
            var version = await Client.System.GetVersionAsync(timeout.Token);
            if (!Version.TryParse(version.APIVersion, out var api) || api < ApiVersion)
                return new DockerEngineStatus(false, $"the Docker engine at {Endpoint} speaks API {version.APIVersion}, older than the {ApiVersion} Runtime needs (Docker 20.10 or later)", version.Version, version.APIVersion);
            return new DockerEngineStatus(true, null, version.Version, version.APIVersion);
        }
        catch (Exception e) when (IsUnreachable(e) || (e is OperationCanceledException && !ct.IsCancellationRequested))
        {
            return new DockerEngineStatus(false, Unreachable(e));
        }
    }

    /// <summary>Whether <paramref name="image"/> is on this machine; false also when the engine does not answer.</summary>
    public async Task<bool> ImageExistsAsync(string image, CancellationToken ct = default)
    {
        try
        {
            await Client.Images.InspectImageAsync(image, ct);
            return true;
        }
        catch (DockerImageNotFoundException)
        {
            return false;
        }
        catch (DockerApiException e) when (e.StatusCode == System.Net.HttpStatusCode.NotFound)
        {
            return false;
        }
        catch (Exception e) when (IsUnreachable(e))
        {
            return false;
        }
    }

    /// <summary>Why the engine could not be reached, for an operator: the endpoint and what failed.</summary>
    public string Unreachable(Exception e) => e switch
    {
        OperationCanceledException => $"the Docker engine at {Endpoint} did not answer within {CheckTimeout.TotalSeconds:0} s",
        _ when Innermost(e) is SocketException { SocketErrorCode: SocketError.AddressNotAvailable or SocketError.ConnectionRefused } socket
            => $"nothing listens on the Docker socket {Endpoint} ({socket.Message}); is dockerd running?",
        _ => $"the Docker engine at {Endpoint} cannot be reached: {Innermost(e).Message}",
    };

    /// <summary>True for the failures of an engine that is not there (as opposed to a refused request).</summary>
    public static bool IsUnreachable(Exception e) =>
        e is HttpRequestException or IOException or SocketException or TimeoutException
        || (e is DockerApiException api && (int)api.StatusCode >= 500 && api.ResponseBody?.Contains("Cannot connect", StringComparison.Ordinal) == true)
        || (e.InnerException is { } inner && IsUnreachable(inner));

    public void Dispose()
    {
        Client.Dispose();
        _configuration.Dispose();
    }

    private static Exception Innermost(Exception e) => e.InnerException is { } inner ? Innermost(inner) : e;

    private static Uri EndpointFrom(string? text)
    {
        if (string.IsNullOrWhiteSpace(text))
            return new Uri(DefaultEndpoint);
        if (!Uri.TryCreate(text, UriKind.Absolute, out var uri) || uri.Scheme is not ("unix" or "tcp" or "http"))
            throw new ArgumentException($"DOCKER_HOST '{text}' is not a unix:// or tcp:// address.", nameof(text));
        return uri;
    }
}
