using System.Net;
using System.Net.Sockets;

namespace Playback.Testing;

/// <summary>
/// Ports on 127.0.0.1. A server this process starts binds port 0 and its port is read back (<see cref="LoopbackWebApp"/>
/// binds the socket itself and hands it to Kestrel, so the port is known before the app is built and never released in
/// between). A port that another process or a non-Kestrel server must bind (a child process, an Akka seed node) cannot be
/// handed over: <see cref="RetryOnPortConflictAsync{T}"/> picks one and tries again with another when it was taken.
/// </summary>
public static class Loopback
{
    /// <summary>A TCP socket bound to 127.0.0.1 on a port the system chose, not yet listening.</summary>
    /// <returns>The bound socket; its <see cref="Socket.LocalEndPoint"/> holds the port.</returns>
    public static Socket BindSocket()
    {
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            socket.Bind(new IPEndPoint(IPAddress.Loopback, 0));
            return socket;
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Starts something that must bind a port it is given (a child process, an Akka node): <paramref name="start"/> gets a
    /// port that was free a moment ago; when the start fails because the port was taken since (address already in use),
    /// it is called again with another port.
    /// </summary>
    /// <param name="start">Starts with the port; throws when the port is taken (any exception whose chain says "address already in use").</param>
    /// <param name="attempts">How many ports to try.</param>
    /// <returns>What <paramref name="start"/> returned.</returns>
    public static async Task<T> RetryOnPortConflictAsync<T>(Func<int, Task<T>> start, int attempts = 5)
    {
        for (var attempt = 1; ; attempt++)
        {
            int port;
            using (var probe = BindSocket())
            {
                port = ((IPEndPoint)probe.LocalEndPoint!).Port;
            }

            try
            {
                return await start(port);
            }
            catch (Exception e) when (attempt < attempts && IsAddressInUse(e))
            {
                // Taken between the probe and the start: another port.
            }
        }
    }

    /// <summary>Whether an exception (or one inside it) says that an address was already in use.</summary>
    /// <param name="error">The exception.</param>
    /// <returns>True for a bind conflict.</returns>
    public static bool IsAddressInUse(Exception? error)
    {
        for (var e = error; e is not null; e = e.InnerException)
        {
            if (e is SocketException { SocketErrorCode: SocketError.AddressAlreadyInUse } || IsAddressInUse(e.Message))
            {
                return true;
            }

            if (e is AggregateException aggregate && aggregate.InnerExceptions.Any(IsAddressInUse))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>Whether a text (an exception message, a process's output) says that an address was already in use.</summary>
    /// <param name="text">The text.</param>
    /// <returns>True when it mentions a bind conflict.</returns>
    public static bool IsAddressInUse(string text) => text.Contains("address already in use", StringComparison.OrdinalIgnoreCase);
}
