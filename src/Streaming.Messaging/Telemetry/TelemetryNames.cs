namespace Streaming.Messaging.Telemetry;

/// <summary>ActivitySource and Meter names, created once per process.</summary>
public static class TelemetryNames
{
    public const string ProducerSource = "Streaming.Producer";
    public const string ConsumerSource = "Streaming.Consumer";
    public const string Meter = "Streaming";
}
