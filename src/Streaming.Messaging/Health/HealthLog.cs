using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Logging;

namespace Streaming.Messaging.Health;

internal static partial class HealthLog
{
    [LoggerMessage(EventId = 150, Level = LogLevel.Information, Message = "Health: {Status} ({Description})")]
    public static partial void StatusChanged(ILogger logger, HealthStatus status, string description);

    [LoggerMessage(EventId = 151, Level = LogLevel.Warning, Message = "Could not update the health file {Path}: {Reason}")]
    public static partial void FileFailed(ILogger logger, string path, string reason);
}
