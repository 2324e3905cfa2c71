using System.Net;
using Runtime.Execution.Agents;

namespace Runtime.Agent.Hosting;

/// <summary>What the agent was started with: where the Api is, which environment it serves, and where it keeps its files.</summary>
/// <param name="Api">The Api's base address; also what runs get as RUNTIME_API_URL.</param>
/// <param name="Environment">The environment's id, as the operator gave it (the token is what the Api goes by).</param>
/// <param name="Token">The environment's agent token (<c>re_…</c>): never logged, never passed to workloads.</param>
/// <param name="AdvertiseHost">The host the Api reaches this machine's apps at.</param>
/// <param name="HeartbeatInterval">Null: the Api's <see cref="HeartbeatAnswer.HeartbeatSeconds"/>.</param>
internal sealed record AgentSettings(Uri Api, string Environment, string Token, string DataDirectory, string AdvertiseHost, TimeSpan? HeartbeatInterval)
{
    /// <summary>RUNTIME_API_URL for runs: the Api's address without a trailing slash.</summary>
    public string ApiUrl => Api.ToString().TrimEnd('/');

    /// <summary>
    /// Where apps listen: loopback when the Api reaches them on loopback (the agent beside the Api), every
    /// interface otherwise, since the advertised name may not be an address of this machine that can be bound.
    /// </summary>
    public string BindHost => IsLoopback(AdvertiseHost) ? "127.0.0.1" : "0.0.0.0";

    public string Workloads => Path.Combine(DataDirectory, "workloads");

    public string Archives => Path.Combine(DataDirectory, "archives");

    public string Venvs => Path.Combine(DataDirectory, "venvs");

    /// <summary>The address the Api proxies an app on <paramref name="port"/> at.</summary>
    public string Address(int port) => new UriBuilder(Uri.UriSchemeHttp, AdvertiseHost, port).Uri.ToString().TrimEnd('/');

    private static bool IsLoopback(string host) =>
        host.Equals("localhost", StringComparison.OrdinalIgnoreCase) || (IPAddress.TryParse(host, out var address) && IPAddress.IsLoopback(address));
}
