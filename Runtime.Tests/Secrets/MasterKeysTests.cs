using Microsoft.Extensions.Configuration;
using Runtime.Grains.Secrets;
using Runtime.Tests.Infrastructure;
using Xunit;

namespace Runtime.Tests.Secrets;

public sealed class MasterKeysTests
{
    private const int Rounds = 100;

    [Fact]
    public void ManyCreatorsAtOnce_OnAMissingKeyFile_AllGetTheOneKeyInTheFile()
    {
        // Threads, each with a MasterKeys.Load of its own, race just as silos do: what decides the race is the
        // file system (the create, the link, the read), which does not care whether two callers share a process.
        // The test with child processes below races real processes too, in rounds less tightly aligned.
        var threads = Math.Max(8, Environment.ProcessorCount * 2);
        var folder = Directory.CreateTempSubdirectory("runtime-keys-").FullName;
        try
        {
            RaceThreads(folder, threads);
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    [Fact]
    public async Task ProcessesCreatingAtOnce_AllGetTheOneKeyInTheFile()
    {
        var folder = Directory.CreateTempSubdirectory("runtime-keys-").FullName;
        var go = Path.Combine(folder, "go");
        var processes = Enumerable.Range(1, 3)
            .Select(i => TestProcess.Start($"master-key-{i}", ["master-key", folder, Rounds.ToString(), go], new Dictionary<string, string>()))
            .ToList();
        try
        {
            // All wait for the go file, so that their rounds overlap rather than their start-ups.
            foreach (var process in processes)
                await process.WaitForOutputAsync("ready", TimeSpan.FromSeconds(60));
            await File.WriteAllTextAsync(go, "");
            foreach (var process in processes)
                Assert.True(0 == await process.WaitForExitAsync(TimeSpan.FromSeconds(60)), process.Output);

            for (var round = 0; round < Rounds; round++)
            {
                var line = $"] round {round} "; // after the process's [name] prefix
                var ids = processes.Select(p => p.Output.Split('\n').Single(l => l.Contains(line, StringComparison.Ordinal)).Split(line)[1].Trim()).ToList();
                AssertOneKeyFile(Path.Combine(folder, round.ToString()), ids);
            }
        }
        finally
        {
            foreach (var process in processes)
                await process.DisposeAsync();
            Directory.Delete(folder, recursive: true);
        }
    }

    private static void RaceThreads(string folder, int threads)
    {
        for (var round = 0; round < Rounds; round++)
        {
            var directory = Path.Combine(folder, round.ToString());
            var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?> { ["Runtime:DataDirectory"] = directory }).Build();
            using var start = new Barrier(threads);
            var ids = new string[threads];
            var errors = new Exception?[threads];
            var workers = Enumerable.Range(0, threads).Select(i => new Thread(() =>
            {
                start.SignalAndWait();
                try
                {
                    ids[i] = MasterKeys.Load(configuration).CurrentId;
                }
                catch (Exception e)
                {
                    errors[i] = e;
                }
            })).ToList();
            workers.ForEach(w => w.Start());
            workers.ForEach(w => w.Join());

            Assert.All(errors, e => Assert.Null(e));
            AssertOneKeyFile(directory, ids);
        }
    }

    private static void AssertOneKeyFile(string directory, IReadOnlyCollection<string> ids)
    {
        var file = Path.Combine(directory, MasterKeys.KeyFileName);
        var key = Convert.FromBase64String(File.ReadAllText(file).Trim());
        Assert.Equal(32, key.Length);
        Assert.All(ids, id => Assert.Equal(new MasterKeys(key).CurrentId, id));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(file));
        Assert.Equal([MasterKeys.KeyFileName], Directory.GetFiles(directory).Select(Path.GetFileName)); // no temporary file left behind
    }
}
