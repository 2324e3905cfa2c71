using System.Net;

namespace Runtime.Execution.Agents;

/// <summary>What an <see cref="AgentRunner"/> runs with, set by its host.</summary>
/// <param name="DataDirectory">Where workload folders (<c>workloads/</c>) and Python environments live.</param>
/// <param name="AdvertiseHost">The host the Api reaches this machine's apps at.</param>
/// <param name="ApiUrl">RUNTIME_API_URL for runs, without a trailing slash; none when unknown.</param>
/// <param name="Owner">This agent, as the owner of what it records.</param>
/// <param name="Clusters">The cluster names whose records this agent takes over (older records may carry an older name).</param>
/// <param name="StopsWorkloadsOnShutdown">
/// True for a silo's agent: a stopping silo ends its apps (the next agent of the installation starts them again)
/// and its runs. False for a remote agent: its apps keep serving and its runs keep running while it restarts.
/// </param>
/// <param name="SharesDataDirectory">True when other agents use the same data directory at the same time (sibling silos):
/// a folder without a record may be a start another agent is preparing, so it is never cleared at start.</param>
/// <param name="Host">What runs the agent, as reasons name it to users: "the silo running it was stopped".</param>
/// <param name="HostGone">How its host went away when its workloads are found orphaned: a silo "died", a remote agent "restarted".</param>
public sealed record RunnerSettings(
    string DataDirectory, string AdvertiseHost, string? ApiUrl, RecordOwner Owner, IReadOnlyCollection<string> Clusters,
    bool StopsWorkloadsOnShutdown, bool SharesDataDirectory, string Host = "agent", string HostGone = "restarted")
{
    public string Workloads => Path.Combine(DataDirectory, "workloads");

    /// <summary>
    /// Where apps listen: loopback when the Api reaches them on loopback (the agent beside the Api), every
    /// interface otherwise, since the advertised name may not be an address of this machine that can be bound.
    /// </summary>
    public string BindHost => IsLoopback(AdvertiseHost) ? "127.0.0.1" : "0.0.0.0";

    /// <summary>The address the Api proxies an app on <paramref name="port"/> at.</summary>
    public string Address(int port) => new UriBuilder(Uri.UriSchemeHttp, AdvertiseHost, port).Uri.ToString().TrimEnd('/');

    private static bool IsLoopback(string host) =>
        host.Equals("localhost", StringComparison.OrdinalIgnoreCase) || (IPAddress.TryParse(host, out var address) && IPAddress.IsLoopback(address));
}
