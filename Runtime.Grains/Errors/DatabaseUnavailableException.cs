using Npgsql;

namespace Runtime.Grains;

/// <summary>
/// PostgreSQL was out of reach (down, restarting, failing over) when a call needed it: retry shortly.
/// Unlike Npgsql's own exceptions, which Orleans has no codec for, it crosses a grain call intact.
/// </summary>
[Orleans.GenerateSerializer, Orleans.Alias("error.database-unavailable")]
public sealed class DatabaseUnavailableException(string message) : Exception(message)
{
    // Shut down by an administrator, crashed, still starting up, out of connections. Not serialization
    // failures or deadlocks, which Npgsql also calls transient: those are a call's own conflict.
    private static readonly HashSet<string> ServerGoingAway = new(StringComparer.Ordinal) { "57P01", "57P02", "57P03", "53300" };

    /// <summary>True when <paramref name="exception"/>, or one it wraps, says the database is out of reach.</summary>
    public static bool IsOutage(Exception exception)
    {
        for (var e = exception; e is not null; e = e.InnerException)
        {
            if (e is DatabaseUnavailableException)
                return true;
            if (e is PostgresException postgres
                    ? ServerGoingAway.Contains(postgres.SqlState) || postgres.SqlState.StartsWith("08", StringComparison.Ordinal)
                    : e is NpgsqlException { IsTransient: true })
                return true;
            if (e is AggregateException aggregate && aggregate.InnerExceptions.Any(IsOutage))
                return true;
        }
        return false;
    }
}
