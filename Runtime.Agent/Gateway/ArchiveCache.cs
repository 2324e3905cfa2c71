using System.Collections.Concurrent;
using System.Text.RegularExpressions;

namespace Runtime.Agent.Gateway;

/// <summary>
/// Revision archives by hash (<c>&lt;data-dir&gt;/archives/&lt;hash&gt;.tar.gz</c>): downloaded once, to a temporary
/// name renamed when complete, and reused by every later workload of the same revision.
/// </summary>
internal sealed partial class ArchiveCache(GatewayClient client, string folder)
{
    /// <summary>Tries at a download cut short by the network or a busy Api, before the start fails.</summary>
    private const int DownloadAttempts = 3;

    private readonly ConcurrentDictionary<string, SemaphoreSlim> _downloads = new();

    /// <summary>The archive's local path, downloaded if it is not there yet.</summary>
    public async Task<string> GetAsync(string hash, CancellationToken ct)
    {
        if (!SafeHash().IsMatch(hash) || hash.Contains("..", StringComparison.Ordinal))
            throw new InvalidDataException($"the archive hash '{hash}' is not a plain name");
        var path = Path.Combine(folder, hash + ".tar.gz");
        if (File.Exists(path))
            return path;
        var gate = _downloads.GetOrAdd(hash, _ => new SemaphoreSlim(1, 1));
        await gate.WaitAsync(ct);
        try
        {
            if (File.Exists(path))
                return path;
            Directory.CreateDirectory(folder);
            var backoff = new Backoff();
            for (var attempt = 1; ; attempt++)
            {
                try
                {
                    await DownloadAsync(hash, path, ct);
                    return path;
                }
                catch (Exception e) when (attempt < DownloadAttempts && e is HttpRequestException or TimeoutException or IOException or GatewayException { IsTransient: true })
                {
                    await Task.Delay(backoff.Next(), ct);
                }
            }
        }
        finally
        {
            gate.Release();
        }
    }

    private async Task DownloadAsync(string hash, string path, CancellationToken ct)
    {
        var partial = $"{path}.{Guid.NewGuid():N}.part";
        try
        {
            await using (var file = File.Create(partial))
                await client.DownloadArchiveAsync(hash, file, ct);
            File.Move(partial, path, overwrite: true);
        }
        finally
        {
            File.Delete(partial);
        }
    }

    [GeneratedRegex("^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$")]
    private static partial Regex SafeHash();
}
