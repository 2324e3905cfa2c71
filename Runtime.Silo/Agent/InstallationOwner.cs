using Npgsql;
using Runtime.Execution.Agents;
using Runtime.Grains.Storage;

namespace Runtime.Silo.Agent;

/// <summary>
/// The silos' agents of one installation form one cluster: records carry <c>installation/&lt;id&gt;</c>, the id the
/// first silo made in the database, so any silo of the installation on the machine takes over what another left.
/// </summary>
internal static class InstallationOwner
{
    /// <summary>This silo as the owner of what its agent runs.</summary>
    public static async Task<RecordOwner> CurrentAsync(NpgsqlDataSource dataSource, CancellationToken ct) =>
        RecordOwner.Current($"installation/{await Installation.IdAsync(dataSource, ct):D}");
}
