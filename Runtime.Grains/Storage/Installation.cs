using Npgsql;

namespace Runtime.Grains.Storage;

/// <summary>The installation this database belongs to: one id, made by migration 0018, that no restart or port change alters.</summary>
public static class Installation
{
    public static async Task<Guid> IdAsync(NpgsqlDataSource dataSource, CancellationToken ct = default)
    {
        await using var command = dataSource.CreateCommand("SELECT id FROM installation");
        return await command.ExecuteScalarAsync(ct) as Guid? ?? throw new InvalidOperationException("the database has no installation row; run the migrations");
    }
}
