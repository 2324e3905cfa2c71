using Npgsql;

namespace Runtime.Grains.Cluster;

/// <summary>
/// The query keys Orleans 10.4.2's ADO.NET clustering, reminders and storage look up in
/// <c>OrleansQuery</c> (migration 0012). A missing one makes a silo hang in "Joining" with nothing
/// logged, so every process checks them at start-up and names what is missing.
/// </summary>
public static class OrleansQueries
{
    public static IReadOnlyList<string> Required { get; } =
    [
        // Clustering
        "InsertMembershipVersionKey", "InsertMembershipKey", "UpdateMembershipKey", "UpdateIAmAlivetimeKey",
        "MembershipReadRowKey", "MembershipReadAllKey", "DeleteMembershipTableEntriesKey", "CleanupDefunctSiloEntriesKey",
        "GatewaysQueryKey",
        // Reminders
        "UpsertReminderRowKey", "ReadReminderRowsKey", "ReadReminderRowKey", "ReadRangeRows1Key", "ReadRangeRows2Key",
        "DeleteReminderRowKey", "DeleteReminderRowsKey",
        // Grain storage
        "ReadFromStorageKey", "WriteToStorageKey", "ClearStorageKey", "DeleteStorageKey",
    ];

    /// <summary>Throws, naming every missing key, unless <c>OrleansQuery</c> holds all of <see cref="Required"/>.</summary>
    public static async Task EnsureAsync(NpgsqlDataSource dataSource, CancellationToken cancellationToken = default)
    {
        await using var command = dataSource.CreateCommand("SELECT querykey FROM OrleansQuery WHERE querykey = ANY($1)");
        command.Parameters.Add(new NpgsqlParameter { Value = Required.ToArray() });
        var present = new HashSet<string>(StringComparer.Ordinal);
        await using (var reader = await command.ExecuteReaderAsync(cancellationToken))
        {
            while (await reader.ReadAsync(cancellationToken))
                present.Add(reader.GetString(0));
        }
        var missing = Required.Where(k => !present.Contains(k)).ToList();
        if (missing.Count > 0)
        {
            throw new InvalidOperationException(
                $"The OrleansQuery table lacks {string.Join(", ", missing)}: Orleans cannot cluster, store state or keep reminders without them. " +
                "Restore the rows of migration 0012_orleans.sql (or the database backup) before starting Runtime.");
        }
    }
}
