using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace Runtime.Execution.Processes;

/// <summary>
/// Finds free TCP ports on the loopback interface for a process that will bind them later.
/// </summary>
/// <remarks>
/// A port the OS picks (bind to 0) comes from the ephemeral range, which every outgoing connection
/// of every process also draws its local port from: between the pick and the bind, a connection to
/// PostgreSQL could take it ("address already in use", seen in CI). So ports are picked below that
/// range, where only listeners live, and each pick is reserved for <see cref="ReservedFor"/> by a
/// file that every Runtime process on the machine honours, so that two of them never hand out the
/// same port while the first is still on its way to bind it.
/// </remarks>
public static class FreePort
{
    /// <summary>How long a handed-out port stays reserved for the one it was given to.</summary>
    public static readonly TimeSpan ReservedFor = TimeSpan.FromMinutes(10);

    private const int LowestPort = 15000;
    private static readonly string Reservations = Path.Combine(Path.GetTempPath(), "runtime-ports");
    private static readonly (int Low, int High) Range = ListenerRange();

    /// <summary>A port nobody listens on right now and no Runtime process was given recently.</summary>
    public static int Next()
    {
        if (Range.High - Range.Low < 1000)
            return OsPicked();
        Directory.CreateDirectory(Reservations);
        for (var attempt = 0; attempt < 200; attempt++)
        {
            var port = Random.Shared.Next(Range.Low, Range.High + 1);
            if (TryReserve(port) && IsFree(port))
                return port;
        }
        return OsPicked();
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

    private static bool TryReserve(int port)
    {
        var path = Path.Combine(Reservations, port.ToString(CultureInfo.InvariantCulture));
        try
        {
            if (File.Exists(path) && DateTime.UtcNow - File.GetLastWriteTimeUtc(path) > ReservedFor)
                File.Delete(path);
            using var _ = new FileStream(path, FileMode.CreateNew, FileAccess.Write, FileShare.None);
            return true;
        }
        catch (IOException)
        {
            return false; // reserved by someone else (or just reclaimed by them)
        }
        catch (UnauthorizedAccessException)
        {
            return false; // a reservation of another user's
        }
    }

    private static int OsPicked()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    // Ports below the ephemeral range (Linux: ip_local_port_range, 32768 by default) and above the
    // well-known services'.
    private static (int Low, int High) ListenerRange()
    {
        var ephemeralLow = 32768;
        try
        {
            var text = File.ReadAllText("/proc/sys/net/ipv4/ip_local_port_range").Split((char[])['\t', ' ', '\n'], StringSplitOptions.RemoveEmptyEntries);
            ephemeralLow = int.Parse(text[0], CultureInfo.InvariantCulture);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException or IndexOutOfRangeException)
        {
            // not Linux, or not readable: the usual default
        }
        return (LowestPort, ephemeralLow - 1);
    }
}
