using System.Net.Security;
using RabbitMQ.Client;

namespace Streaming.Messaging.Connection;

/// <summary>
/// The client's endpoints for a <see cref="BrokerAddress"/>, and the resolver that tries them in the order given (the
/// client's default shuffles them): the first node that answers gets the connection, and recovery goes through the
/// same list, except that the node the connection was lost from goes last (<see cref="NodeOrder"/>).
/// </summary>
internal static class BrokerEndpoints
{
    /// <summary>One endpoint per node. For amqps:// each checks its own node's name: unlike RabbitMQ.Client's URI
    /// setter, no policy error (a name mismatch included) is acceptable; <paramref name="validate"/>, when given,
    /// decides instead of the system's default check.</summary>
    public static IReadOnlyList<AmqpTcpEndpoint> Create(BrokerAddress address, RemoteCertificateValidationCallback? validate) =>
        address.Nodes.Select(node => new AmqpTcpEndpoint(node.Host, node.Port, address.UseTls
            ? new SslOption
            {
                Enabled = true,
                ServerName = node.Host,
                AcceptablePolicyErrors = SslPolicyErrors.None,
                CertificateValidationCallback = validate,
            }
            : new SslOption())).ToArray();

    public static NodeOrder InOrder(IEnumerable<AmqpTcpEndpoint> endpoints) => new([.. endpoints]);
}

/// <summary>
/// The nodes in the order given, the one the connection was last lost from moved to the end. The client's recovery asks
/// this same resolver each time: a node that vanished (a killed container or pod, whose address no longer answers at
/// all) would otherwise cost the whole connection timeout on every recovery before the next node is tried.
/// </summary>
internal sealed class NodeOrder(IReadOnlyList<AmqpTcpEndpoint> endpoints) : IEndpointResolver
{
    private AmqpTcpEndpoint? _lost;

    /// <summary>The connection to <paramref name="node"/> was lost: try it after the others from now on.</summary>
    public void Lost(AmqpTcpEndpoint node) => Volatile.Write(ref _lost, node);

    public IEnumerable<AmqpTcpEndpoint> All()
    {
        var lost = Volatile.Read(ref _lost);
        return lost is null
            ? endpoints
            : [.. endpoints.Where(e => !SameNode(e, lost)), .. endpoints.Where(e => SameNode(e, lost))];
    }

    private static bool SameNode(AmqpTcpEndpoint a, AmqpTcpEndpoint b) =>
        a.Port == b.Port && string.Equals(a.HostName, b.HostName, StringComparison.OrdinalIgnoreCase);
}
