using RabbitMQ.Client;
using RabbitMQ.Client.Events;
using RabbitMQ.Client.Exceptions;
using Streaming.Messaging.Hosting;

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
        AuthenticationFailureException => $"the broker refused user '{UsageErrors.Printable(address.UserName)}': wrong user name or password",
        OperationInterruptedException { ShutdownReason: { } reason } when Describe(reason, address) is { } refusal => refusal,
        AggregateException aggregate => aggregate.InnerExceptions.Select(e => Describe(e, address)).FirstOrDefault(d => d is not null),
        { InnerException: { } inner } => Describe(inner, address),
        _ => null,
    };

    /// <summary>True when this close is the broker refusing the user or the vhost, for good.</summary>
    public static bool Refuses(ShutdownEventArgs reason) => KindOf(reason) is not null;

    /// <summary>A one-line description of the refusal in the broker's close of a connection; null when it is not one.</summary>
    public static string? Describe(ShutdownEventArgs reason, BrokerAddress address) => KindOf(reason) switch
    {
        Refusal.User => $"the broker refused user '{UsageErrors.Printable(address.UserName)}' on vhost '{UsageErrors.Printable(address.VirtualHost)}': {UsageErrors.Printable(reason.ReplyText)}",
        Refusal.MissingVhost => $"the broker has no vhost '{UsageErrors.Printable(address.VirtualHost)}' ({UsageErrors.Printable(reason.ReplyText)})",
        Refusal.ForbiddenVhost => $"user '{UsageErrors.Printable(address.UserName)}' may not use vhost '{UsageErrors.Printable(address.VirtualHost)}' ({UsageErrors.Printable(reason.ReplyText)})",
        _ => null,
    };

    private static Refusal? KindOf(ShutdownEventArgs reason)
    {
        if (reason.ReplyCode == Constants.AccessRefused)
        {
            return Refusal.User;
        }
        if (reason.ReplyCode != Constants.NotAllowed)
        {
            return null;
        }
        // NOT_ALLOWED also says "vhost … is down" (a vhost restarting on that node) and "connection limit … is
        // reached": those pass. A vhost that does not exist, or that this user may not use, does not.
        if (reason.ReplyText.Contains("not found", StringComparison.Ordinal))
        {
            return Refusal.MissingVhost;
        }
        if (reason.ReplyText.Contains("refused for user", StringComparison.Ordinal)
            && !reason.ReplyText.Contains("limit", StringComparison.Ordinal))
        {
            return Refusal.ForbiddenVhost;
        }
        return null;
    }

    private enum Refusal
    {
        User,
        MissingVhost,
        ForbiddenVhost,
    }
}
