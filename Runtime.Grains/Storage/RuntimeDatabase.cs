using Npgsql;

namespace Runtime.Grains.Storage;

/// <summary>Builds the one <see cref="NpgsqlDataSource"/> every Runtime process talks to PostgreSQL through.</summary>
public static class RuntimeDatabase
{
    /// <summary>The configuration key (<c>ConnectionStrings:runtime</c>, env <c>ConnectionStrings__runtime</c>).</summary>
    public const string ConnectionStringName = "runtime";

    /// <summary>Creates a data source; <paramref name="applicationName"/> shows in pg_stat_activity.</summary>
    public static NpgsqlDataSource Create(string connectionString, string applicationName)
    {
        var builder = new NpgsqlConnectionStringBuilder(connectionString);
        if (string.IsNullOrEmpty(builder.ApplicationName))
            builder.ApplicationName = applicationName;
        // Grain calls issue the same few statements all day: let Npgsql prepare them.
        if (builder.MaxAutoPrepare == 0)
            builder.MaxAutoPrepare = 64;
        return new NpgsqlDataSourceBuilder(builder.ConnectionString).Build();
    }
}
