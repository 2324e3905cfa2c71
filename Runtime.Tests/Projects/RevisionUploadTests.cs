using System.Formats.Tar;
using System.IO.Compression;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Runtime.Tests.Api;
using Runtime.Tests.Infrastructure;
using Xunit;

namespace Runtime.Tests.Projects;

/// <summary>Revisions uploaded as a tar.gz (what a CLI deploy sends): versioned by content, checked entry by entry, and run.</summary>
public sealed class RevisionUploadTests(ApiFixture api) : IClassFixture<ApiFixture>
{
    private async Task<string> ProjectAsync()
    {
        var response = await api.Owner().PostAsJsonAsync("/api/workspaces/default/projects", new
        {
            name = "Upload " + Guid.NewGuid().ToString("N")[..8], appType = "dash", pythonEnvironment = "default", repositoryUrl = "file:///nonexistent/x.git", branch = "main", path = "app.py",
        });
        return $"/api/workspaces/default/projects/{(await response.Json()).GetProperty("slug").GetString()}";
    }

    private sealed record Entry(string Name, string? Text = null, TarEntryType Type = TarEntryType.RegularFile, string? Link = null, DateTimeOffset? Modified = null);

    private static byte[] Archive(params Entry[] entries)
    {
        using var buffer = new MemoryStream();
        using (var gzip = new GZipStream(buffer, CompressionLevel.Fastest, leaveOpen: true))
        using (var tar = new TarWriter(gzip, TarEntryFormat.Pax))
        {
            foreach (var e in entries)
            {
                var entry = new PaxTarEntry(e.Type, e.Name) { ModificationTime = e.Modified ?? DateTimeOffset.UtcNow };
                if (e.Text is not null)
                    entry.DataStream = new MemoryStream(Encoding.UTF8.GetBytes(e.Text));
                if (e.Link is not null)
                    entry.LinkName = e.Link;
                tar.WriteEntry(entry);
            }
        }
        return buffer.ToArray();
    }

    private Task<HttpResponseMessage> UploadAsync(string project, byte[] archive, string? message = null)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, $"{project}/revisions") { Content = new ByteArrayContent(archive) };
        request.Content.Headers.ContentType = new("application/gzip");
        if (message is not null)
            request.Headers.Add("X-Runtime-Message", message);
        return api.Owner().SendAsync(request);
    }

    [Fact]
    public async Task UploadedRevision_IsVersionedByContent_AndAJobRunsIt()
    {
        await using var silo = await api.Database.StartSiloAsync("silo-upload");
        var project = await ProjectAsync();
        var first = await UploadAsync(project, Archive(new Entry("./", Type: TarEntryType.Directory), new Entry("./app.py", "print('app')\n"), new Entry("./jobs/load.py", "print('loaded from the upload', flush=True)\n")), "first upload");
        Assert.Equal(201, (int)first.StatusCode);
        var revision = (await first.Json()).GetProperty("revision");
        Assert.Equal("first upload", revision.GetProperty("message").GetString());
        Assert.Equal(40, revision.GetProperty("sha").GetString()!.Length);

        // The same files packed again (other times, other order): the same revision.
        var again = await UploadAsync(project, Archive(new Entry("jobs/load.py", "print('loaded from the upload', flush=True)\n", Modified: DateTimeOffset.UnixEpoch),
            new Entry("app.py", "print('app')\n", Modified: DateTimeOffset.UnixEpoch)));
        Assert.Equal(200, (int)again.StatusCode);
        Assert.Equal(revision.GetProperty("sha").GetString(), (await again.Json()).GetProperty("revision").GetProperty("sha").GetString());
        Assert.Equal(1, (await (await api.Owner().GetAsync($"{project}/revisions")).Json()).GetArrayLength());

        Assert.Equal(201, (int)(await api.Owner().PostAsJsonAsync($"{project}/jobs", new { name = "load", path = "jobs/load.py" })).StatusCode);
        var run = (await (await api.Owner().PostAsync($"{project}/jobs/load/runs", null)).Json()).GetProperty("id").GetGuid();
        var ended = await Eventually.Get(async () => await (await api.Owner().GetAsync($"/api/workspaces/default/runs/{run}")).Json(),
            r => r.GetProperty("status").GetString() is "Completed" or "Failed", TimeSpan.FromSeconds(30), "the run");
        Assert.Equal("Completed", ended.GetProperty("status").GetString());
        Assert.Equal(revision.GetProperty("sha").GetString(), ended.GetProperty("revision").GetString());
        var lines = await (await api.Owner().GetAsync($"/api/workspaces/default/runs/{run}/logs")).Json();
        Assert.Contains(lines.EnumerateArray(), l => l.GetProperty("line").GetString() == "loaded from the upload");
    }

    public static TheoryData<string, byte[], string> BadArchives => new()
    {
        { "dot-dot", Archive(new Entry("../evil.py", "x")), "goes up with '..'" },
        { "nested dot-dot", Archive(new Entry("src/../../evil.py", "x")), "goes up with '..'" },
        { "absolute", Archive(new Entry("/etc/cron.d/evil", "x")), "absolute path" },
        { "symlink out", Archive(new Entry("passwd", Type: TarEntryType.SymbolicLink, Link: "/etc/passwd")), "absolute path" },
        { "relative symlink out", Archive(new Entry("src/up", Type: TarEntryType.SymbolicLink, Link: "../../x")), "points out of the directory" },
        { "device", Archive(new Entry("dev", Type: TarEntryType.CharacterDevice)), "CharacterDevice" },
        { "not gzip", Encoding.UTF8.GetBytes("just text"), "not a gzip-compressed tar" },
        { "empty", Archive(new Entry("./", Type: TarEntryType.Directory)), "holds no files" },
        { "oversized", RandomArchive(2 * 1024 * 1024), "larger than 1 MiB" },
    };

    [Theory]
    [MemberData(nameof(BadArchives))]
    public async Task BadArchive_Is400NamingArchive_AndNothingIsStored(string kind, byte[] archive, string says)
    {
        var project = await ProjectAsync();

        var problem = await (await UploadAsync(project, archive)).AssertProblem(400, "validation");

        Assert.Contains(says, problem.GetProperty("errors").GetProperty("archive")[0].GetString());
        Assert.Equal(0, (await (await api.Owner().GetAsync($"{project}/revisions")).Json()).GetArrayLength());
        _ = kind;
    }

    private static byte[] RandomArchive(int bytes)
    {
        var noise = new byte[bytes];
        Random.Shared.NextBytes(noise);
        return Archive(new Entry("noise.bin", Encoding.Latin1.GetString(noise)));
    }
}
