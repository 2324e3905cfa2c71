using System.Net;
using System.Text.Json;
using Npgsql;
using Runtime.Tests.Infrastructure;
using Xunit;

namespace Runtime.Tests.Hosting;

public sealed class HealthTests(ApiFixture api) : IClassFixture<ApiFixture>
{
    [Fact]
    public async Task Health_WithoutASilo_IsDegradedButAnswers200()
    {
        using var response = await api.Client(null).GetAsync("/health");
        using var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync());

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("Degraded", body.RootElement.GetProperty("status").GetString());
        Assert.Equal("Healthy", body.RootElement.GetProperty("checks").GetProperty("database").GetProperty("status").GetString());
        Assert.Equal("Degraded", body.RootElement.GetProperty("checks").GetProperty("silos").GetProperty("status").GetString());
    }

    [Fact]
    public async Task Health_WithTheDatabaseDown_Answers503_AndAliveStill200()
    {
        var database = new NpgsqlConnectionStringBuilder(api.Database.ConnectionString).Database!;
        var cluster = await PostgresCluster.SharedAsync();
        await using var admin = NpgsqlDataSource.Create(cluster.Server.ConnectionString());
        await ExecuteAsync(admin, $"ALTER DATABASE {database} ALLOW_CONNECTIONS false");
        await ExecuteAsync(admin, $"SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{database}'");
        try
        {
            using var response = await api.Client(null).GetAsync("/health");
            using var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
            Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
            Assert.Equal("Unhealthy", body.RootElement.GetProperty("checks").GetProperty("database").GetProperty("status").GetString());

            using var alive = await api.Client(null).GetAsync("/alive");
            Assert.Equal(HttpStatusCode.OK, alive.StatusCode);
        }
        finally
        {
            await ExecuteAsync(admin, $"ALTER DATABASE {database} ALLOW_CONNECTIONS true");
        }

        // Back once the database is: the pool replaces its broken connections.
        using var again = await api.Client(null).GetAsync("/health");
        Assert.Equal(HttpStatusCode.OK, again.StatusCode);
    }

    private static async Task ExecuteAsync(NpgsqlDataSource dataSource, string sql)
    {
        await using var command = dataSource.CreateCommand(sql);
        await command.ExecuteNonQueryAsync();
    }
}
