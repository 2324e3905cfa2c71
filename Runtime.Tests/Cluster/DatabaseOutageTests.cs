using System.Net.Sockets;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using Orleans.Serialization;
using Runtime.Grains;
using Xunit;

namespace Runtime.Tests.Cluster;

/// <summary>Which database errors mean "PostgreSQL is out of reach, retry" (503), and that the one a grain call answers crosses the wire.</summary>
public sealed class DatabaseOutageTests
{
    [Theory]
    [InlineData("57P01")] // terminating connection due to administrator command (a fast shutdown)
    [InlineData("57P03")] // the database system is starting up
    [InlineData("08006")] // connection failure
    [InlineData("53300")] // too many connections
    public void A_server_going_away_is_an_outage(string sqlState) =>
        Assert.True(DatabaseUnavailableException.IsOutage(new InvalidOperationException("storage", Postgres(sqlState))));

    [Theory]
    [InlineData("40001")] // serialization failure: the call's own conflict
    [InlineData("40P01")] // deadlock
    [InlineData("23505")] // unique violation
    [InlineData("42P01")] // undefined table: a bug
    public void A_statement_s_own_failure_is_not_an_outage(string sqlState) =>
        Assert.False(DatabaseUnavailableException.IsOutage(Postgres(sqlState)));

    [Fact]
    public void A_refused_connection_is_an_outage_and_other_errors_are_not()
    {
        Assert.True(DatabaseUnavailableException.IsOutage(new NpgsqlException("Failed to connect", new SocketException((int)SocketError.ConnectionRefused))));
        Assert.True(DatabaseUnavailableException.IsOutage(new AggregateException(new NpgsqlException("Failed to connect", new SocketException((int)SocketError.ConnectionRefused)))));
        Assert.False(DatabaseUnavailableException.IsOutage(new InvalidOperationException("a bug")));
    }

    [Fact]
    public void The_exception_a_grain_call_answers_survives_Orleans_serialization()
    {
        using var services = new ServiceCollection().AddSerializer(s => s.AddAssembly(typeof(DatabaseUnavailableException).Assembly)).BuildServiceProvider();
        var serializer = services.GetRequiredService<Serializer>();
        var copy = serializer.Deserialize<Exception>(serializer.SerializeToArray<Exception>(new DatabaseUnavailableException("The database did not answer IProjectGrain.SetVariable")));
        Assert.IsType<DatabaseUnavailableException>(copy);
        Assert.Equal("The database did not answer IProjectGrain.SetVariable", copy.Message);
    }

    private static PostgresException Postgres(string sqlState) => new("message", "FATAL", "FATAL", sqlState);
}
