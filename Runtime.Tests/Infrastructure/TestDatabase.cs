using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using Runtime.Grains;
using Xunit;

namespace Runtime.Tests.Infrastructure;

/// <summary>A fresh, migrated database for one test class, and Runtime's services on it (stores, blobs, git).</summary>
public sealed class TestDatabase : IAsyncLifetime
{
    private ServiceProvider? _client;

    public string ConnectionString { get; private set; } = "";

    public NpgsqlDataSource DataSource { get; private set; } = null!;

    public IServiceProvider Services => _client!;


    public async Task InitializeAsync()
    {
        var cluster = await PostgresCluster.SharedAsync();
        ConnectionString = await cluster.CreateDatabaseAsync();
        DataSource = NpgsqlDataSource.Create(ConnectionString);
        _client = TestRuntime.Client(ConnectionString);
    }

    public async Task DisposeAsync()
    {
        await DataSource.DisposeAsync();
        if (_client is not null)
            await _client.DisposeAsync();
    }

    /// <summary>A silo in this process: the real delivery loops, with the test grains registered.</summary>
    public Task<TestSilo> StartSiloAsync(string name = "silo-test", IReadOnlyDictionary<string, string?>? settings = null) =>
        TestSilo.StartAsync(ConnectionString, name, settings);

    /// <summary>A silo in a child process (<c>dotnet Runtime.Tests.dll silo</c>), which a test can SIGKILL.</summary>
    public TestProcess StartSiloProcess(string name, IReadOnlyDictionary<string, string>? environment = null)
    {
        var all = TestRuntime.ChildEnvironment(ConnectionString, name);
        foreach (var (key, value) in environment ?? new Dictionary<string, string>())
            all[key] = value;
        return TestProcess.Start(name, ["silo"], all);
    }

    public async Task ExecuteAsync(string sql)
    {
        await using var command = DataSource.CreateCommand(sql);
        await command.ExecuteNonQueryAsync();
    }

    public async Task<T?> ScalarAsync<T>(string sql, params object[] parameters)
    {
        await using var command = DataSource.CreateCommand(sql);
        foreach (var parameter in parameters)
            command.Parameters.Add(new NpgsqlParameter { Value = parameter });
        var value = await command.ExecuteScalarAsync();
        return value is null or DBNull ? default : (T)Convert.ChangeType(value, typeof(T), System.Globalization.CultureInfo.InvariantCulture);
    }
}
