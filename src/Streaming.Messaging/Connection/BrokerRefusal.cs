using RabbitMQ.Client;
using RabbitMQ.Client.Events;
using RabbitMQ.Client.Exceptions;

namespace Streaming.Messaging.Connection;

/// <summary>
/// The one place that decides whether a failure to connect is the broker refusing this configuration (answered, and
/// will answer the same way again) rather than a passing fault.
/// </summary>
internal static class BrokerRefusal
{
    /// <summary>A one-line description of the refusal in <paramref name="exception"/> or its inner exceptions; null
    /// when it is not one.</summary>
    public static string? Describe(Exception exception, BrokerAddress address) => exception switch
    {
        // ACCESS_REFUSED at login: the user does not exist or the password is wrong.
        AuthenticationFailureException => $"the broker refused user '{address.UserName}': wrong user name or password",
        OperationInterruptedException { ShutdownReason: { } reason } when Describe(reason, address) is { } refusal => refusal,
        AggregateException aggregate => aggregate.InnerExceptions.Select(e => Describe(e, address)).FirstOrDefault(d => d is not null),
        { InnerException: { } inner } => Describe(inner, address),
        _ => null,
    };

    private static string? Describe(ShutdownEventArgs reason, BrokerAddress address)
    {
        if (reason.ReplyCode == Constants.AccessRefused)
        {
            return $"the broker refused user '{address.UserName}' on vhost '{address.VirtualHost}': {reason.ReplyText}";
        }
        if (reason.ReplyCode != Constants.NotAllowed)
        {
            return null;
        }
        // NOT_ALLOWED also says "vhost … is down" (a vhost restarting on that node) and "connection limit … is
        // reached": those pass. A vhost that does not exist, or that this user may not use, does not.
        if (reason.ReplyText.Contains("not found", StringComparison.Ordinal))
        {
            return $"the broker has no vhost '{address.VirtualHost}' ({reason.ReplyText})";
        }
        if (reason.ReplyText.Contains("refused for user", StringComparison.Ordinal)
            && !reason.ReplyText.Contains("limit", StringComparison.Ordinal))
        {
            return $"user '{address.UserName}' may not use vhost '{address.VirtualHost}' ({reason.ReplyText})";
        }
        return null;
    }
}
