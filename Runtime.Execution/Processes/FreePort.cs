using System.Net;
using System.Net.Sockets;

namespace Runtime.Execution.Processes;

/// <summary>Finds free TCP ports on the loopback interface.</summary>
public static class FreePort
{
    /// <summary>A port nobody listens on right now (the OS picks it).</summary>
    public static int Next()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    /// <summary>True when <paramref name="port"/> can be bound on loopback.</summary>
    public static bool IsFree(int port)
    {
        try
        {
            using var listener = new TcpListener(IPAddress.Loopback, port);
            listener.Start();
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }
}
