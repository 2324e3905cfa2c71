namespace Runtime.Grains.Blobs;

/// <summary>What a stored blob is: its SHA-256 (lower-case hex) and size.</summary>
[Orleans.GenerateSerializer]
public sealed record BlobInfo(string Hash, long Size);

/// <summary>
/// Content-addressed storage for revision archives and model artifacts: a blob's key is the SHA-256
/// of its bytes, so the same content is stored once. PostgreSQL is the default; an object store can
/// implement the same interface for large models.
/// </summary>
public interface IBlobStore
{
    /// <summary>Stores <paramref name="content"/> unless a blob with the same hash exists; returns its hash and size.</summary>
    Task<BlobInfo> PutAsync(Stream content, CancellationToken cancellationToken = default);

    /// <summary>The blob's info, or null when there is none with that hash.</summary>
    Task<BlobInfo?> FindAsync(string hash, CancellationToken cancellationToken = default);

    /// <summary>Reads the blob; null when there is none with that hash.</summary>
    Task<Stream?> OpenReadAsync(string hash, CancellationToken cancellationToken = default);
}
