using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Configuration.Memory;
using Runtime.Grains.Storage;

namespace Runtime.Grains.Cluster;

/// <summary>
/// The <c>Orleans:*</c> keys Runtime's silos and clients read, the way Aspire's Orleans integration
/// sets them, with Runtime's defaults underneath whatever configuration gives.
/// </summary>
public static class ClusterConfiguration
{
    /// <summary>The grain storage every Runtime grain uses.</summary>
    public const string StorageName = "Default";

    /// <summary>What silos and clients share: which cluster, and where its membership table is.</summary>
    public static IReadOnlyDictionary<string, string?> ClientDefaults { get; } = new Dictionary<string, string?>
    {
        ["Orleans:ClusterId"] = "runtime",
        ["Orleans:ServiceId"] = "runtime",
        ["Orleans:Clustering:ProviderType"] = "AdoNet",
        ["Orleans:Clustering:Invariant"] = "Npgsql",
        ["Orleans:Clustering:ConnectionName"] = RuntimeDatabase.ConnectionStringName,
        // How soon a client sees silos that started after it (Orleans: 1 min): one small query per period.
        ["Orleans:Gateway:GatewayListRefreshPeriod"] = "00:00:05",
    };

    /// <summary>
    /// What silos add: grain storage, reminders, failure detection. The membership settings declare a
    /// kill -9'd silo dead after about 1 s and a hung one after about 2.3 s (DEPENDENCIES.md); Orleans'
    /// own defaults take 15 s and 60 s.
    /// </summary>
    public static IReadOnlyDictionary<string, string?> SiloDefaults { get; } = new Dictionary<string, string?>(ClientDefaults)
    {
        [$"Orleans:GrainStorage:{StorageName}:ProviderType"] = "AdoNet",
        [$"Orleans:GrainStorage:{StorageName}:Invariant"] = "Npgsql",
        [$"Orleans:GrainStorage:{StorageName}:ConnectionName"] = RuntimeDatabase.ConnectionStringName,
        ["Orleans:Reminders:ProviderType"] = "AdoNet",
        ["Orleans:Reminders:Invariant"] = "Npgsql",
        ["Orleans:Reminders:ConnectionName"] = RuntimeDatabase.ConnectionStringName,
        ["Orleans:Membership:ProbeTimeout"] = "00:00:01",
        ["Orleans:Membership:MaxProbeTimeout"] = "00:00:01",
        ["Orleans:Membership:NumMissedProbesLimit"] = "2",
        ["Orleans:Membership:NumVotesForDeathDeclaration"] = "1",
        ["Orleans:Membership:TableRefreshTimeout"] = "00:00:02",
        ["Orleans:Membership:IAmAliveTablePublishTimeout"] = "00:00:05",
    };

    /// <summary>Puts the silo's or the client's defaults beneath every other configuration source.</summary>
    public static void AddClusterDefaults(this IConfigurationBuilder configuration, bool silo) =>
        configuration.Sources.Insert(0, new MemoryConfigurationSource { InitialData = silo ? SiloDefaults : ClientDefaults });
}
