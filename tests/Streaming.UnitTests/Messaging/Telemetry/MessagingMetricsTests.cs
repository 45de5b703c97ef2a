using System.Diagnostics.Metrics;
using Streaming.Messaging.Telemetry;

namespace Streaming.UnitTests.Messaging.Telemetry;

public sealed class MessagingMetricsTests
{
    [Fact]
    public void Dropped_AMessageDroppedWithAReason_IsCountedUnderItsReasonAndQueue()
    {
        var seen = new List<(long Value, Dictionary<string, object?> Tags)>();
        using var listener = new MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Meter.Name == TelemetryNames.Meter && instrument.Name == TelemetryNames.DroppedMessages)
            {
                l.EnableMeasurementEvents(instrument);
            }
        };
        listener.SetMeasurementEventCallback<long>((_, value, tags, _) =>
        {
            var map = new Dictionary<string, object?>();
            foreach (var tag in tags)
            {
                map[tag.Key] = tag.Value;
            }
            lock (seen)
            {
                seen.Add((value, map));
            }
        });
        listener.Start();

        MessagingMetrics.Dropped("streaming.results.*", "job finished or unknown");

        lock (seen)
        {
            Assert.Contains(seen, m => m.Value == 1
                && Equals(m.Tags[TelemetryNames.DropReason], "job finished or unknown")
                && Equals(m.Tags[TelemetryNames.MessagingDestinationName], "streaming.results.*"));
        }
    }
}
