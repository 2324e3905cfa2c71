using System.Net.Http.Json;
using Runtime.Tests.Api;
using Runtime.Tests.Infrastructure;
using Xunit;

namespace Runtime.Tests.Cluster;

/// <summary>
/// Two Runtime.Silo processes and one Runtime.Api process, no AppHost, configured with only the keys
/// the README's "Running beyond one machine" documents, on a database they migrate themselves.
/// </summary>
public sealed class PlainProcessesTests(Xunit.Abstractions.ITestOutputHelper output)
{
    [Fact]
    public async Task Two_silos_and_an_Api_started_with_only_the_documented_keys_form_one_cluster_and_serve_the_Owner()
    {
        var cluster = await PostgresCluster.SharedAsync();
        var connectionString = await cluster.CreateEmptyDatabaseAsync();
        await using var system = await PlainSystem.StartAsync(connectionString, silos: 2);

        try
        {
            // Both silos are Active members of one cluster, at the address and ports they were given.
            await Eventually.Get(system.ActiveSilosAsync, active => active == 2, TimeSpan.FromSeconds(60), "both silos Active in orleans_membership");

            // The Owner token the Api wrote to its data directory works, and grain-backed calls answer.
            var me = await system.Http.GetAsync("/api/me");
            Assert.True(me.IsSuccessStatusCode, await me.Content.ReadAsStringAsync());
            var created = await system.Http.PostAsJsonAsync("/api/workspaces/default/projects", new
            {
                name = "Plain", appType = "dash", pythonEnvironment = "default", repositoryUrl = "https://git.example.com/team/plain.git", branch = "main", path = "app.py",
            });
            Assert.True(201 == (int)created.StatusCode, await created.Content.ReadAsStringAsync());
            var set = await system.Http.PutAsJsonAsync("/api/workspaces/default/projects/plain/variables/GREETING", new { value = "hello" });
            Assert.True(set.IsSuccessStatusCode, await set.Content.ReadAsStringAsync());
            var project = await (await system.Http.GetAsync("/api/workspaces/default/projects/plain")).Json();
            Assert.Equal("Created", project.GetProperty("status").GetString());
            var settings = await system.Http.GetStringAsync("/api/workspaces/default/projects/plain/settings");
            Assert.Contains("hello", settings, StringComparison.Ordinal);
        }
        catch
        {
            output.WriteLine(system.Output());
            throw;
        }
    }
}
