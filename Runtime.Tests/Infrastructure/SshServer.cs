using System.Diagnostics;
using System.Net.Sockets;
using Runtime.Execution.Processes;
using Xunit;

namespace Runtime.Tests.Infrastructure;

/// <summary>
/// A real OpenSSH server on a loopback port, letting one user (<see cref="User"/>) in with the one
/// public key set by <see cref="Authorize"/>, as a Git host with deploy keys does.
/// </summary>
public sealed class SshServer : IAsyncLifetime
{
    public const string User = "rtgit";

    private Process? _process;

    public string Directory { get; } = Path.Combine(Path.GetTempPath(), $"runtime-ssh-{Guid.NewGuid():N}");

    public int Port { get; private set; }

    private string AuthorizedKeys => Path.Combine(Directory, "authorized_keys");

    /// <summary>An ssh:// URL for a repository at <paramref name="path"/> on this server.</summary>
    public string Url(string path) => $"ssh://{User}@127.0.0.1:{Port}{path}";

    /// <summary>Accepts exactly this key from now on.</summary>
    public void Authorize(string publicKey) => File.WriteAllText(AuthorizedKeys, publicKey.Trim() + "\n");

    public async Task InitializeAsync()
    {
        System.IO.Directory.CreateDirectory(Directory);
        File.SetUnixFileMode(Directory, (UnixFileMode)0b111_101_101);
        await RunAsync("sh", "-c", $"id -u {User} >/dev/null 2>&1 || useradd -m -p '*' -s /bin/sh {User}");
        System.IO.Directory.CreateDirectory("/run/sshd");
        var hostKey = Path.Combine(Directory, "host_key");
        await RunAsync("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", hostKey);
        File.WriteAllText(AuthorizedKeys, "");
        Port = FreePort.Next();
        var config = Path.Combine(Directory, "sshd_config");
        await File.WriteAllTextAsync(config, $"""
            Port {Port}
            ListenAddress 127.0.0.1
            HostKey {hostKey}
            PidFile {Path.Combine(Directory, "sshd.pid")}
            AuthorizedKeysFile {AuthorizedKeys}
            StrictModes no
            UsePAM no
            PasswordAuthentication no
            KbdInteractiveAuthentication no
            AuthenticationMethods publickey
            PermitRootLogin no
            AllowUsers {User}
            """);

        var info = new ProcessStartInfo("/usr/sbin/sshd") { RedirectStandardError = true, RedirectStandardOutput = true };
        foreach (var argument in new[] { "-D", "-e", "-f", config })
            info.ArgumentList.Add(argument);
        _process = Process.Start(info)!;
        _process.ErrorDataReceived += (_, _) => { };
        _process.BeginErrorReadLine();
        var deadline = DateTime.UtcNow.AddSeconds(20);
        while (true)
        {
            try
            {
                using var client = new TcpClient();
                await client.ConnectAsync("127.0.0.1", Port);
                return;
            }
            catch (SocketException) when (DateTime.UtcNow < deadline && !_process.HasExited)
            {
                await Task.Delay(50);
            }
        }
    }

    public async Task DisposeAsync()
    {
        if (_process is { HasExited: false })
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }
        _process?.Dispose();
        System.IO.Directory.Delete(Directory, recursive: true);
    }

    private static async Task RunAsync(params string[] command)
    {
        var info = new ProcessStartInfo(command[0]) { RedirectStandardError = true };
        foreach (var argument in command.Skip(1))
            info.ArgumentList.Add(argument);
        using var process = Process.Start(info)!;
        var error = await process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        if (process.ExitCode != 0)
            throw new InvalidOperationException($"{string.Join(' ', command)} failed: {error}");
    }
}
