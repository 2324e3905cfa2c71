using Runtime.Agent.Logs;
using Runtime.Execution.Agents;
using Runtime.Execution.Logs;

namespace Runtime.Agent.Gateway;

/// <summary>
/// The remote agent's channel to the runner: the agent gateway over HTTP(S). Reports and completions go through
/// the <see cref="Reporter"/> (tried again until the Api takes them), lines through the <see cref="LogUploader"/>,
/// archives through the <see cref="ArchiveCache"/>. Its workloads are its own across restarts: the agent's
/// identity, and so its claims, outlive its process.
/// </summary>
internal sealed class GatewayChannel(GatewayClient client, Reporter reporter, LogUploader logs, ArchiveCache archives) : IAgentChannel
{
    public Guid AgentId => client.AgentId;

    public ILogSink Logs => logs;

    public Task<bool> FlushLogsAsync(TimeSpan timeout) => logs.FlushAsync(timeout);

    public async Task<Stream> OpenArchiveAsync(string hash, CancellationToken ct) => File.OpenRead(await archives.GetAsync(hash, ct));

    public Task ReportAsync(AgentReport report) => reporter.ReportAsync(report);

    public Task CompleteAsync(Guid assignmentId, bool succeeded, object? result) => reporter.CompleteAsync(assignmentId, succeeded, result);

    /// <summary>The agent's claims are still its own after its restart; a start cut short is done again.</summary>
    public Task<bool> TakeOverAsync(WorkloadRecord record, CancellationToken ct) => Task.FromResult(true);
}
