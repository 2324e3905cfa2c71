using System.Formats.Tar;
using System.IO.Compression;
using System.Security.Cryptography;
using System.Text;

namespace Runtime.Grains.Sources;

/// <summary>An uploaded revision, checked: its bytes, a hash of its content (not of its bytes: re-packing the same files gives the same version) and its files.</summary>
[Orleans.GenerateSerializer]
public sealed record CheckedArchive(byte[] Bytes, string ContentHash, IReadOnlyList<string> Files);

/// <summary>
/// Checks a revision uploaded as a tar.gz of a directory (what a CLI deploy sends) before anything is
/// stored: its size, packed and unpacked; that it is a gzip-compressed tar; and that every entry stays
/// in the tree — no absolute paths, no <c>..</c>, no links pointing out, no devices.
/// </summary>
public static class UploadedArchive
{
    public const string Field = "archive";

    public static async Task<CheckedArchive> CheckAsync(Stream body, long maxBytes, CancellationToken ct)
    {
        var bytes = await ReadLimitedAsync(body, maxBytes, ct);
        var unpackedLimit = maxBytes * 10;
        var entries = new SortedDictionary<string, string>(StringComparer.Ordinal);
        long unpacked = 0;
        try
        {
            await using var gzip = new GZipStream(new MemoryStream(bytes, writable: false), CompressionMode.Decompress);
            await using var tar = new TarReader(gzip);
            while (await tar.GetNextEntryAsync(copyData: false, ct) is { } entry)
            {
                var path = Normalize(entry.Name);
                if (path.Length == 0 && entry.EntryType != TarEntryType.Directory)
                    throw Invalid("has an entry without a name.");
                switch (entry.EntryType)
                {
                    case TarEntryType.Directory:
                        break;
                    case TarEntryType.RegularFile or TarEntryType.V7RegularFile or TarEntryType.ContiguousFile:
                        unpacked += entry.Length;
                        if (unpacked > unpackedLimit)
                            throw Invalid($"unpacks to more than {unpackedLimit / (1024 * 1024)} MiB.");
                        entries[path] = "file " + await HashAsync(entry.DataStream, ct);
                        break;
                    case TarEntryType.SymbolicLink or TarEntryType.HardLink:
                        CheckLink(path, entry.LinkName, entry.EntryType == TarEntryType.HardLink);
                        entries[path] = "link " + entry.LinkName;
                        break;
                    case TarEntryType.GlobalExtendedAttributes or TarEntryType.ExtendedAttributes:
                        break;
                    default:
                        throw Invalid($"entry {Shorten(path)} is a {entry.EntryType}; only files, directories and links inside the tree are allowed.");
                }
            }
        }
        catch (Exception e) when (e is InvalidDataException or EndOfStreamException or FormatException or IOException)
        {
            throw Invalid("is not a gzip-compressed tar archive (make one with: tar czf app.tar.gz -C <directory> .).");
        }
        if (entries.Count == 0)
            throw Invalid("holds no files.");
        var identity = string.Join('\n', entries.Select(e => $"{e.Key}\t{e.Value}"));
        var hash = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(identity)));
        return new CheckedArchive(bytes, hash, entries.Where(e => e.Value.StartsWith("file ", StringComparison.Ordinal)).Select(e => e.Key).ToList());
    }

    private static async Task<byte[]> ReadLimitedAsync(Stream body, long maxBytes, CancellationToken ct)
    {
        using var buffer = new MemoryStream();
        var chunk = new byte[81920];
        int read;
        while ((read = await body.ReadAsync(chunk, ct)) > 0)
        {
            if (buffer.Length + read > maxBytes)
                throw Invalid($"is larger than {maxBytes / (1024 * 1024.0):0.#} MiB, the most an upload may be.");
            buffer.Write(chunk, 0, read);
        }
        return buffer.ToArray();
    }

    // "./src/app.py" → "src/app.py"; anything that could leave the tree is refused.
    private static string Normalize(string name)
    {
        var path = name.Replace('\\', '/');
        if (path.StartsWith('/') || path.Contains('\0'))
            throw Invalid($"entry {Shorten(path)} is an absolute path; pack the directory's contents with relative paths.");
        var parts = path.Split('/', StringSplitOptions.RemoveEmptyEntries).Where(p => p != ".").ToList();
        if (parts.Any(p => p == ".."))
            throw Invalid($"entry {Shorten(path)} goes up with '..'; every entry must stay inside the directory.");
        return string.Join('/', parts);
    }

    private static void CheckLink(string path, string target, bool hard)
    {
        if (target.StartsWith('/'))
            throw Invalid($"link {Shorten(path)} points to an absolute path.");
        // A symbolic link resolves from its own folder, a hard link from the root.
        var depth = hard ? 0 : path.Split('/').Length - 1;
        foreach (var part in target.Split('/', StringSplitOptions.RemoveEmptyEntries))
        {
            depth += part switch { ".." => -1, "." => 0, _ => 1 };
            if (depth < 0)
                throw Invalid($"link {Shorten(path)} points out of the directory.");
        }
    }

    private static async Task<string> HashAsync(Stream? data, CancellationToken ct) =>
        data is null ? "empty" : Convert.ToHexStringLower(await SHA256.HashDataAsync(data, ct));

    private static ValidationException Invalid(string problem) => new(Field, "The archive " + problem);

    private static string Shorten(string value) => value.Length <= 60 ? value : value[..60] + "…";
}
