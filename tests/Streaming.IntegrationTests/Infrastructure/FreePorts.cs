using System.Net;
using System.Net.Sockets;

namespace Streaming.IntegrationTests.Infrastructure;

/// <summary>
/// Picks TCP ports that are free now, below the Linux ephemeral range (32768+), so that outgoing connections do not
/// take a node's port between a stop and a restart.
/// </summary>
internal static class FreePorts
{
    private const int First = 20000;
    private const int Last = 32000;

    public static int Pick(params int[] exclude)
    {
        for (var attempt = 0; attempt < 500; attempt++)
        {
            var port = Random.Shared.Next(First, Last);
            if (!exclude.Contains(port) && IsFree(port))
            {
                return port;
            }
        }
        throw new InvalidOperationException($"no free TCP port found between {First} and {Last}");
    }

    private static bool IsFree(int port)
    {
        try
        {
            // Dual-stack wildcard: the port must be free on every interface and both families, as RabbitMQ binds them all.
            using var socket = new Socket(AddressFamily.InterNetworkV6, SocketType.Stream, ProtocolType.Tcp) { DualMode = true };
            socket.Bind(new IPEndPoint(IPAddress.IPv6Any, port));
            return true;
        }
        catch (SocketException ex) when (ex.SocketErrorCode is SocketError.AddressFamilyNotSupported or SocketError.ProtocolNotSupported)
        {
            return IsFreeIPv4(port);
        }
        catch (SocketException)
        {
            return false;
        }
    }

    private static bool IsFreeIPv4(int port)
    {
        try
        {
            using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            socket.Bind(new IPEndPoint(IPAddress.Any, port));
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }
}
