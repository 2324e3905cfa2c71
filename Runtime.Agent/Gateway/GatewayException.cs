using System.Net;

namespace Runtime.Agent.Gateway;

/// <summary>The Api answered a gateway request with an error status.</summary>
internal sealed class GatewayException(HttpStatusCode status, string path, string detail)
    : Exception($"{(int)status} {status} from {path}{(detail.Length > 0 ? ": " + detail : "")}")
{
    public HttpStatusCode Status { get; } = status;

    /// <summary>The token was refused: rotated or revoked, maybe only for a while.</summary>
    public bool IsTokenRefused => Status is HttpStatusCode.Unauthorized or HttpStatusCode.Forbidden;

    /// <summary>Another agent holds the environment (heartbeat and claim), or the request conflicts with the Api's state.</summary>
    public bool IsConflict => Status == HttpStatusCode.Conflict;

    /// <summary>Worth sending again later: the Api is busy, restarting, or refuses the token for now.</summary>
    public bool IsTransient => IsTokenRefused || (int)Status >= 500 || Status is HttpStatusCode.RequestTimeout or HttpStatusCode.TooManyRequests;
}
