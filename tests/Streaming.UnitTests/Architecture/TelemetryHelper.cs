using System.Diagnostics;

namespace Streaming.UnitTests.Architecture;

/// <summary>A helper outside <see cref="Probes"/> that names telemetry, for <see cref="Probes.ReachesOut"/> to reach through.</summary>
internal static class TelemetryHelper
{
    public static int Current() => Activity.Current is null ? 0 : 1;
}
