using System.Diagnostics;
using RabbitMQ.Client;
using RabbitMQ.Client.Events;

namespace Streaming.Messaging.Telemetry;

/// <summary>
/// The spans around one delivered message, per the OpenTelemetry messaging conventions: a <c>process</c> span of
/// kind Consumer whose parent is the context RabbitMQ.Client put in the message headers when it published it (so the
/// whole file stays one trace), with a link to that same publish (the message's creation context).
/// </summary>
internal static class MessagingActivities
{
    public const string RabbitMqSystem = "rabbitmq";

    public static Activity? StartProcess(ActivitySource source, string spanName, BasicDeliverEventArgs delivery, string queue)
    {
        if (!source.HasListeners())
        {
            return null;
        }
        // RabbitMQ.Client's own extractor: it reads the W3C headers its publisher source injected.
        var published = RabbitMQActivitySource.ContextExtractor(delivery.BasicProperties);
        ActivityLink[]? links = published == default ? null : [new ActivityLink(published)];
        var activity = source.StartActivity(spanName, ActivityKind.Consumer, published, tags: null, links);
        if (activity is { IsAllDataRequested: true })
        {
            activity.SetTag(TelemetryNames.MessagingSystem, RabbitMqSystem)
                .SetTag(TelemetryNames.MessagingOperationType, "process")
                .SetTag(TelemetryNames.MessagingOperationName, "process")
                .SetTag(TelemetryNames.MessagingDestinationName, queue)
                .SetTag(TelemetryNames.MessagingBodySize, delivery.Body.Length)
                .SetTag(TelemetryNames.MessagingDeliveryTag, delivery.DeliveryTag)
                .SetTag(TelemetryNames.Redelivered, delivery.Redelivered);
            if (delivery.BasicProperties.CorrelationId is { Length: > 0 } conversation)
            {
                activity.SetTag(TelemetryNames.MessagingConversationId, conversation);
            }
        }
        return activity;
    }

    /// <summary>Adds an event to the current span, if any is recorded.</summary>
    public static void Event(string name, params ReadOnlySpan<KeyValuePair<string, object?>> tags)
    {
        if (Activity.Current is { IsAllDataRequested: true } activity)
        {
            activity.AddEvent(new ActivityEvent(name, tags: tags.IsEmpty ? null : new ActivityTagsCollection(tags.ToArray())));
        }
    }

    /// <summary>Marks the current span failed with the exception (as an <c>exception</c> event).</summary>
    public static void Failed(Exception exception)
    {
        if (Activity.Current is { } activity)
        {
            activity.SetStatus(ActivityStatusCode.Error, exception.Message);
            activity.SetTag(TelemetryNames.ErrorType, exception.GetType().FullName);
            activity.AddException(exception);
        }
    }

    /// <summary>Marks the current span failed with a reason.</summary>
    public static void Failed(string errorType, string description)
    {
        if (Activity.Current is { } activity)
        {
            activity.SetStatus(ActivityStatusCode.Error, description);
            activity.SetTag(TelemetryNames.ErrorType, errorType);
        }
    }
}
