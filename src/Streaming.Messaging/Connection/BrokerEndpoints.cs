using System.Net.Security;
using RabbitMQ.Client;

namespace Streaming.Messaging.Connection;

/// <summary>
/// The client's endpoints for a <see cref="BrokerAddress"/>, and the resolver that tries them in the order given (the
/// client's default shuffles them): the first node that answers gets the connection, and recovery goes through the
/// same list.
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

    public static IEndpointResolver InOrder(IEnumerable<AmqpTcpEndpoint> endpoints) => new OrderedResolver([.. endpoints]);

    private sealed class OrderedResolver(IReadOnlyList<AmqpTcpEndpoint> endpoints) : IEndpointResolver
    {
        public IEnumerable<AmqpTcpEndpoint> All() => endpoints;
    }
}
