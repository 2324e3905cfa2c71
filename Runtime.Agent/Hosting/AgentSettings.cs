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

    public string Archives => Path.Combine(DataDirectory, "archives");

    public string Venvs => Path.Combine(DataDirectory, "venvs");

    /// <summary>What the runner runs with: the agent's own identity is its cluster, so after a restart it takes over what its earlier process ran.</summary>
    public RunnerSettings ForRunner(Guid agentId) => new(DataDirectory, AdvertiseHost, ApiUrl, RecordOwner.Current($"agent/{agentId:D}"), [$"agent/{agentId:D}"],
        StopsWorkloadsOnShutdown: false, SharesDataDirectory: false);
}
