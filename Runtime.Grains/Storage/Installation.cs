using Npgsql;

namespace Runtime.Grains.Storage;

/// <summary>The installation this database belongs to: one id (table of migration 0018) that no restart or port change alters.</summary>
public static class Installation
{
    /// <summary>The id, made by the first caller on this database; every caller after, concurrent ones too, reads the same.</summary>
    public static async Task<Guid> IdAsync(NpgsqlDataSource dataSource, CancellationToken ct = default)
    {
        await using (var make = dataSource.CreateCommand("INSERT INTO installation DEFAULT VALUES ON CONFLICT (one) DO NOTHING"))
            await make.ExecuteNonQueryAsync(ct);
        // A statement of its own: it sees the row whichever caller's insert won.
        await using var read = dataSource.CreateCommand("SELECT id FROM installation");
        return await read.ExecuteScalarAsync(ct) as Guid? ?? throw new InvalidOperationException("the installation has no id");
    }
}
