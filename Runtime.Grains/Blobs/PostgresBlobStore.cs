using System.Security.Cryptography;
using Npgsql;

namespace Runtime.Grains.Blobs;

/// <summary>
/// Blobs in PostgreSQL as 1 MiB <c>bytea</c> chunks, so that any silo or Api node can serve them and a
/// cluster shares nothing but its database (DESIGN §7).
/// </summary>
public sealed class PostgresBlobStore(NpgsqlDataSource dataSource) : IBlobStore
{
    public const int ChunkSize = 1 << 20;

    public async Task<BlobInfo> PutAsync(Stream content, CancellationToken cancellationToken = default)
    {
        // Hash first (spooling to a temporary file), so that content already stored is not written again.
        var spool = Path.GetTempFileName();
        try
        {
            string hash;
            long size;
            await using (var file = new FileStream(spool, FileMode.Create, FileAccess.ReadWrite, FileShare.None, 81920, FileOptions.Asynchronous))
            {
                using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
                var buffer = new byte[81920];
                int read;
                while ((read = await content.ReadAsync(buffer, cancellationToken)) > 0)
                {
                    sha.AppendData(buffer, 0, read);
                    await file.WriteAsync(buffer.AsMemory(0, read), cancellationToken);
                }
                hash = Convert.ToHexString(sha.GetHashAndReset()).ToLowerInvariant();
                size = file.Length;
            }

            if (await FindAsync(hash, cancellationToken) is { } existing)
                return existing;
            await WriteAsync(spool, hash, size, cancellationToken);
            return new BlobInfo(hash, size);
        }
        finally
        {
            File.Delete(spool);
        }
    }

    public async Task<BlobInfo?> FindAsync(string hash, CancellationToken cancellationToken = default)
    {
        await using var command = dataSource.CreateCommand("SELECT size FROM blobs WHERE hash = $1");
        command.Parameters.Add(new NpgsqlParameter { Value = hash });
        return await command.ExecuteScalarAsync(cancellationToken) is long size ? new BlobInfo(hash, size) : null;
    }

    public async Task<Stream?> OpenReadAsync(string hash, CancellationToken cancellationToken = default)
    {
        await using var command = dataSource.CreateCommand("SELECT size, chunks FROM blobs WHERE hash = $1");
        command.Parameters.Add(new NpgsqlParameter { Value = hash });
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        if (!await reader.ReadAsync(cancellationToken))
            return null;
        return new ChunkStream(dataSource, hash, reader.GetInt64(0), reader.GetInt32(1));
    }

    private async Task WriteAsync(string spool, string hash, long size, CancellationToken ct)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        await using var transaction = await connection.BeginTransactionAsync(ct);
        await using var file = File.OpenRead(spool);
        var buffer = new byte[ChunkSize];
        var seq = 0;
        while (true)
        {
            var filled = await file.ReadAtLeastAsync(buffer, ChunkSize, throwOnEndOfStream: false, ct);
            if (filled == 0 && seq > 0)
                break;
            await using var insert = new NpgsqlCommand(
                "INSERT INTO blob_chunks (hash, seq, data) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING", connection, transaction);
            insert.Parameters.Add(new NpgsqlParameter { Value = hash });
            insert.Parameters.Add(new NpgsqlParameter { Value = seq++ });
            insert.Parameters.Add(new NpgsqlParameter { Value = new ArraySegment<byte>(buffer, 0, filled) });
            await insert.ExecuteNonQueryAsync(ct);
            if (filled < ChunkSize)
                break;
        }
        // A concurrent writer of the same content waits on the chunks' keys, then finds them written.
        await using (var blob = new NpgsqlCommand(
            "INSERT INTO blobs (hash, size, chunks) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING", connection, transaction))
        {
            blob.Parameters.Add(new NpgsqlParameter { Value = hash });
            blob.Parameters.Add(new NpgsqlParameter { Value = size });
            blob.Parameters.Add(new NpgsqlParameter { Value = seq });
            await blob.ExecuteNonQueryAsync(ct);
        }
        await transaction.CommitAsync(ct);
    }

    /// <summary>Reads a blob chunk by chunk, one query per chunk, holding no connection between reads.</summary>
    private sealed class ChunkStream(NpgsqlDataSource dataSource, string hash, long size, int chunks) : Stream
    {
        private byte[] _chunk = [];
        private int _offset;
        private int _next;
        private long _position;

        public override bool CanRead => true;

        public override bool CanSeek => false;

        public override bool CanWrite => false;

        public override long Length => size;

        public override long Position
        {
            get => _position;
            set => throw new NotSupportedException();
        }

        public override int Read(byte[] buffer, int offset, int count) =>
            ReadAsync(buffer.AsMemory(offset, count)).AsTask().GetAwaiter().GetResult();

        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        {
            if (_offset == _chunk.Length)
            {
                if (_next == chunks)
                    return 0;
                await using var command = dataSource.CreateCommand("SELECT data FROM blob_chunks WHERE hash = $1 AND seq = $2");
                command.Parameters.Add(new NpgsqlParameter { Value = hash });
                command.Parameters.Add(new NpgsqlParameter { Value = _next });
                _chunk = await command.ExecuteScalarAsync(cancellationToken) as byte[]
                    ?? throw new InvalidDataException($"Blob {hash} is missing chunk {_next}.");
                _next++;
                _offset = 0;
                if (_chunk.Length == 0)
                    return 0;
            }
            var count = Math.Min(buffer.Length, _chunk.Length - _offset);
            _chunk.AsMemory(_offset, count).CopyTo(buffer);
            _offset += count;
            _position += count;
            return count;
        }

        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

        public override void Flush()
        {
        }

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
