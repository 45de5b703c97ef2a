using RabbitMQ.Client;

namespace Streaming.UnitTests.Architecture.Probes;

/// <summary>Reaches the broker, a file, the console and telemetry, the last through a helper outside its namespace, for
/// <see cref="OutsideWorld"/> to find.</summary>
internal static class ReachesOut
{
    public static int Count()
    {
        IConnection? connection = null;
        var lines = File.Exists("/nonexistent/streaming-probe") ? 1 : 0;
        Console.Out.Flush();
        return lines + (connection is null ? 0 : 1) + TelemetryHelper.Current();
    }
}
