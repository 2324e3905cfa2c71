using System.Security.Cryptography;
using Microsoft.Extensions.Configuration;
using Runtime.Grains.Secrets;
using Xunit;

namespace Runtime.Tests.Secrets;

public sealed class SecretCipherTests
{
    private static byte[] NewKey() => RandomNumberGenerator.GetBytes(32);

    [Fact]
    public void Encrypt_RoundTrips_AndNeverContainsThePlaintext()
    {
        var cipher = new SecretCipher(new MasterKeys(NewKey()));

        var sealedValue = cipher.Encrypt("hunter2-postgres-password", "project/1/secret/DB_PASSWORD");

        Assert.DoesNotContain("hunter2", sealedValue);
        Assert.StartsWith("v1:", sealedValue);
        Assert.Equal("hunter2-postgres-password", cipher.Decrypt(sealedValue, "project/1/secret/DB_PASSWORD"));
    }

    [Fact]
    public void Encrypt_UsesAFreshNonceEachTime()
    {
        var cipher = new SecretCipher(new MasterKeys(NewKey()));

        Assert.NotEqual(cipher.Encrypt("same", "c"), cipher.Encrypt("same", "c"));
    }

    [Fact]
    public void ValueMovedToAnotherContext_DoesNotDecrypt()
    {
        var cipher = new SecretCipher(new MasterKeys(NewKey()));
        var sealedValue = cipher.Encrypt("secret", "project/1/secret/A");

        Assert.Throws<SecretDecryptionException>(() => cipher.Decrypt(sealedValue, "project/2/secret/A"));
    }

    [Fact]
    public void TamperedValue_DoesNotDecrypt()
    {
        var cipher = new SecretCipher(new MasterKeys(NewKey()));
        var sealedValue = cipher.Encrypt("s3cr3t-value", "c");
        var bytes = Convert.FromBase64String(sealedValue.Split(':')[2]);
        bytes[^1] ^= 1;
        var tampered = string.Join(':', sealedValue.Split(':')[..2]) + ":" + Convert.ToBase64String(bytes);

        var error = Assert.Throws<SecretDecryptionException>(() => cipher.Decrypt(tampered, "c"));
        Assert.DoesNotContain("s3cr3t", error.Message);
    }

    [Fact]
    public void AfterRotation_OldValuesStillDecrypt_AndAreMarkedForReEncryption()
    {
        var oldKey = NewKey();
        var oldValue = new SecretCipher(new MasterKeys(oldKey)).Encrypt("secret", "c");
        var rotated = new SecretCipher(new MasterKeys(NewKey(), [oldKey]));

        Assert.Equal("secret", rotated.Decrypt(oldValue, "c"));
        Assert.True(rotated.NeedsRotation(oldValue));
        Assert.False(rotated.NeedsRotation(rotated.Encrypt("secret", "c")));
    }

    [Fact]
    public void ValueOfAnUnknownKey_NamesTheKeyIdAndWhatToConfigure()
    {
        var value = new SecretCipher(new MasterKeys(NewKey())).Encrypt("secret", "c");

        var error = Assert.Throws<SecretDecryptionException>(() => new SecretCipher(new MasterKeys(NewKey())).Decrypt(value, "c"));

        Assert.Contains(value.Split(':')[1], error.Message);
        Assert.Contains(MasterKeys.PreviousKeysKey, error.Message);
    }

    [Fact]
    public void MissingKey_IsCreatedAsA0600FileAndReused()
    {
        var directory = Directory.CreateTempSubdirectory("runtime-keys-").FullName;
        try
        {
            var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?> { ["Runtime:DataDirectory"] = directory }).Build();

            var first = MasterKeys.Load(configuration);
            var second = MasterKeys.Load(configuration);

            var path = Path.Combine(directory, MasterKeys.KeyFileName);
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(path));
            Assert.Equal(first.CurrentId, second.CurrentId);
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    [Theory]
    [InlineData("not base64!")]
    [InlineData("c2hvcnQ=")]
    public void BadConfiguredKey_SaysHowToMakeOne(string key)
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?> { [MasterKeys.MasterKeyKey] = key }).Build();

        var error = Assert.Throws<InvalidOperationException>(() => MasterKeys.Load(configuration));

        Assert.Contains(MasterKeys.MasterKeyKey, error.Message);
    }
}
