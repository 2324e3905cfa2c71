using System.Security.Cryptography;
using Microsoft.Extensions.DependencyInjection;
using Runtime.Grains.Blobs;
using Runtime.Tests.Infrastructure;
using Xunit;

namespace Runtime.Tests.Storage;

public sealed class BlobStoreTests(TestDatabase database) : IClassFixture<TestDatabase>
{
    private IBlobStore Store => database.Services.GetRequiredService<IBlobStore>();

    [Theory]
    [InlineData(0)]
    [InlineData(17)]
    [InlineData(PostgresBlobStore.ChunkSize)]
    [InlineData(PostgresBlobStore.ChunkSize * 2 + 12345)]
    public async Task Put_ThenRead_ReturnsTheSameBytesUnderTheirSha256(int size)
    {
        var bytes = RandomNumberGenerator.GetBytes(size);

        var info = await Store.PutAsync(new MemoryStream(bytes));
        await using var read = await Store.OpenReadAsync(info.Hash);
        using var copy = new MemoryStream();
        await read!.CopyToAsync(copy);

        Assert.Equal(Convert.ToHexString(SHA256.HashData(bytes)).ToLowerInvariant(), info.Hash);
        Assert.Equal(size, info.Size);
        Assert.Equal(bytes, copy.ToArray());
    }

    [Fact]
    public async Task SameContentTwice_IsStoredOnce()
    {
        var bytes = RandomNumberGenerator.GetBytes(3000);

        var results = await Task.WhenAll(Enumerable.Range(0, 4).Select(_ => Store.PutAsync(new MemoryStream(bytes))));

        Assert.Single(results.Select(r => r.Hash).Distinct());
        Assert.Equal(1, await database.ScalarAsync<long>("SELECT count(*) FROM blobs WHERE hash = $1", results[0].Hash));
        Assert.Equal(1, await database.ScalarAsync<long>("SELECT count(*) FROM blob_chunks WHERE hash = $1", results[0].Hash));
    }

    [Fact]
    public async Task UnknownHash_IsNull()
    {
        Assert.Null(await Store.FindAsync(new string('0', 64)));
        Assert.Null(await Store.OpenReadAsync(new string('0', 64)));
    }
}
