using System.Diagnostics;
using Runtime.Grains.Sources;
using Xunit;

namespace Runtime.Tests.Sources;

public sealed class DeployKeyTests
{
    [Fact]
    public async Task Generate_MakesAnEd25519PairWithTheFingerprintSshKeygenShows()
    {
        var key = await DeployKey.GenerateAsync("runtime-project-test");

        Assert.StartsWith("ssh-ed25519 ", key.PublicKey);
        Assert.EndsWith(" runtime-project-test", key.PublicKey);
        Assert.Contains("BEGIN OPENSSH PRIVATE KEY", key.PrivateKey);
        Assert.Equal(await SshKeygenFingerprint(key.PublicKey), key.Fingerprint);
        Assert.DoesNotContain(key.PrivateKey, key.ToString());
    }

    [Fact]
    public async Task TwoKeys_AreDifferent()
    {
        var first = await DeployKey.GenerateAsync("a");
        var second = await DeployKey.GenerateAsync("a");

        Assert.NotEqual(first.Fingerprint, second.Fingerprint);
    }

    private static async Task<string> SshKeygenFingerprint(string publicKey)
    {
        var file = Path.GetTempFileName();
        try
        {
            await File.WriteAllTextAsync(file, publicKey + "\n");
            var info = new ProcessStartInfo("ssh-keygen") { RedirectStandardOutput = true };
            info.ArgumentList.Add("-lf");
            info.ArgumentList.Add(file);
            using var process = Process.Start(info)!;
            var output = await process.StandardOutput.ReadToEndAsync();
            await process.WaitForExitAsync();
            return output.Split(' ')[1];
        }
        finally
        {
            File.Delete(file);
        }
    }
}
