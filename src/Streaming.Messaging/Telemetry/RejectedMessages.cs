using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace Streaming.Messaging.Telemetry;

/// <summary>
/// Counts messages a service would not use: dead-lettered (malformed, unusable reply-to) or dropped (a result for
/// another job, a sequence outside the window, a result whose job has finished). Meter <c>Streaming</c>,
/// instrument <c>streaming.messages.rejected</c>, tags <c>queue</c> and <c>outcome</c> (dead-lettered | dropped).
/// </summary>
public static class RejectedMessages
{
    public const string InstrumentName = "streaming.messages.rejected";

    private static readonly Meter s_meter = new(TelemetryNames.Meter);
    private static readonly Counter<long> s_rejected = s_meter.CreateCounter<long>(
        InstrumentName, unit: "{message}", description: "Messages dead-lettered or dropped with a logged reason");

    public static void DeadLettered(string queue) => Add(queue, "dead-lettered");

    public static void Dropped(string queue) => Add(queue, "dropped");

    private static void Add(string queue, string outcome) =>
        s_rejected.Add(1, new TagList { { "queue", queue }, { "outcome", outcome } });
}
