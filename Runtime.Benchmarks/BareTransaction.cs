using System.Text.Json;
using Npgsql;
using NpgsqlTypes;
using Runtime.Grains;

namespace Runtime.Benchmarks;

/// <summary>
/// The baseline of the grains benchmark: what a grain call's state write amounts to, issued directly
/// through Npgsql on a table of the same shape (lock and read, write state and version, commit).
/// </summary>
internal static class BareTransaction
{
    public const string Table = "bench_grains";

    public const string TableSql = """
        CREATE TABLE IF NOT EXISTS bench_grains (
            key        text PRIMARY KEY,
            version    bigint      NOT NULL,
            state      jsonb       NOT NULL,
            created_at timestamptz NOT NULL DEFAULT now(),
            updated_at timestamptz NOT NULL DEFAULT now());
        """;

    /// <summary>A row per key, at count 0.</summary>
    public static async Task SeedAsync(NpgsqlDataSource dataSource, IReadOnlyList<string> keys)
    {
        await using var command = dataSource.CreateCommand($"INSERT INTO {Table} (key, version, state) SELECT k, 0, '{{\"count\": 0}}' FROM unnest($1::text[]) AS k ON CONFLICT DO NOTHING");
        command.Parameters.Add(new NpgsqlParameter { Value = keys.ToArray() });
        await command.ExecuteNonQueryAsync();
    }

    public static async Task<long> IncrementAsync(NpgsqlDataSource dataSource, string key)
    {
        await using var connection = await dataSource.OpenConnectionAsync();
        await using var transaction = await connection.BeginTransactionAsync();
        string json;
        await using (var select = new NpgsqlCommand($"SELECT version, state FROM {Table} WHERE key = $1 FOR UPDATE", connection, transaction))
        {
            select.Parameters.Add(new NpgsqlParameter { Value = key });
            await using var reader = await select.ExecuteReaderAsync();
            await reader.ReadAsync();
            json = reader.GetString(1);
        }
        var state = JsonSerializer.Deserialize<Counter>(json, GrainJson.Options)!;
        state.Count++;
        await using (var update = new NpgsqlCommand($"UPDATE {Table} SET state = $2, version = version + 1, updated_at = now() WHERE key = $1", connection, transaction))
        {
            update.Parameters.Add(new NpgsqlParameter { Value = key });
            update.Parameters.Add(new NpgsqlParameter { NpgsqlDbType = NpgsqlDbType.Jsonb, Value = JsonSerializer.Serialize(state, GrainJson.Options) });
            await update.ExecuteNonQueryAsync();
        }
        await transaction.CommitAsync();
        return state.Count;
    }

    private sealed class Counter
    {
        public long Count { get; set; }
    }
}
