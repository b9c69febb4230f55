using System.Net;
using System.Net.Sockets;

namespace Playback.Testing;

/// <summary>Compiled into every test project that listens on loopback (linked from <c>tests/Shared</c>).</summary>
internal static class Loopback
{
    /// <summary>
    /// A port that was free on 127.0.0.1 a moment ago, for servers whose URL must be known before they start (a public base
    /// URL validated at host start, an Akka seed node). Servers that can report their port bind port 0 instead.
    /// </summary>
    public static int FreePort()
    {
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        socket.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        return ((IPEndPoint)socket.LocalEndPoint!).Port;
    }
}
