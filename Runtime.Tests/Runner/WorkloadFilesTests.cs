using Runtime.Execution.Agents;
using Runtime.Agent.Hosting;
using Xunit;

namespace Runtime.Tests.Runner;

public sealed class WorkloadFilesTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("runtime-agent-files-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    [Fact]
    public void Files_are_written_below_the_working_directory_for_the_owner_only()
    {
        WorkloadFiles.Write(new Dictionary<string, string> { [".dlt/secrets.toml"] = "key = 'x'", ["config.json"] = "{}" }, _folder);

        var secrets = Path.Combine(_folder, ".dlt", "secrets.toml");
        Assert.Equal("key = 'x'", File.ReadAllText(secrets));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(secrets));
        Assert.Equal("{}", File.ReadAllText(Path.Combine(_folder, "config.json")));
    }

    [Theory]
    [InlineData("/etc/passwd")]
    [InlineData("../outside.toml")]
    [InlineData(".dlt/../../outside.toml")]
    [InlineData("")]
    public void Paths_that_leave_the_working_directory_are_refused_before_anything_is_written(string path)
    {
        var files = new Dictionary<string, string> { ["fine.txt"] = "x", [path] = "y" };

        Assert.Throws<InvalidDataException>(() => WorkloadFiles.Write(files, _folder));

        Assert.Empty(Directory.EnumerateFileSystemEntries(_folder));
    }

    [Fact]
    public void A_symbolic_link_in_the_revision_does_not_carry_a_file_elsewhere()
    {
        var elsewhere = Directory.CreateTempSubdirectory("runtime-agent-elsewhere-").FullName;
        try
        {
            Directory.CreateSymbolicLink(Path.Combine(_folder, ".dlt"), elsewhere);

            Assert.Throws<InvalidDataException>(() => WorkloadFiles.Write(new Dictionary<string, string> { [".dlt/secrets.toml"] = "y" }, _folder));

            Assert.Empty(Directory.EnumerateFileSystemEntries(elsewhere));
        }
        finally
        {
            Directory.Delete(elsewhere, recursive: true);
        }
    }

    [Fact]
    public void The_agent_id_is_made_once_and_kept()
    {
        var first = AgentIdentity.LoadOrCreateId(_folder);
        var second = AgentIdentity.LoadOrCreateId(_folder);

        Assert.Equal(first, second);
        Assert.Equal(first.ToString("D"), File.ReadAllText(Path.Combine(_folder, AgentIdentity.FileName)).Trim());
    }
}
