using System.Net.Sockets;

namespace Runtime.Execution.Health;

/// <summary>Whether something accepts a TCP connection: a server's readiness, a connection's reachability.</summary>
public static class TcpConnect
{
    /// <summary>Null when <paramref name="host"/>:<paramref name="port"/> accepted a connection within <paramref name="timeout"/>; otherwise why not.</summary>
    public static async Task<string?> TryAsync(string host, int port, TimeSpan timeout, CancellationToken ct)
    {
        try
        {
            using var limit = CancellationTokenSource.CreateLinkedTokenSource(ct);
            limit.CancelAfter(timeout);
            using var client = new TcpClient();
            await client.ConnectAsync(host, port, limit.Token);
            return null;
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            return $"no answer within {timeout.TotalSeconds:0} s";
        }
        catch (SocketException e)
        {
            return e.Message;
        }
    }
}
