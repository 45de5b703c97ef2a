using System.Globalization;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Streaming.Messaging.Health;

/// <summary>
/// Turns each periodic health report into the health file: rewritten (a fresh modification time) while healthy,
/// deleted while not. A container HEALTHCHECK then only has to test that the file is recent, which also catches a
/// process that hangs and stops refreshing it.
/// </summary>
internal sealed class HealthFilePublisher(IOptions<HealthOptions> options, TimeProvider time, ILogger<HealthFilePublisher> logger)
    : IHealthCheckPublisher
{
    private readonly string _path = options.Value.File;
    private HealthStatus? _last;

    public static string TemporaryPath(string path) => path + ".tmp";

    public async Task PublishAsync(HealthReport report, CancellationToken cancellationToken)
    {
        if (_path.Length == 0)
        {
            return;
        }
        if (report.Status != _last)
        {
            var description = string.Join("; ", report.Entries.Select(e => e.Value.Description));
            HealthLog.StatusChanged(logger, report.Status, description);
            _last = report.Status;
        }
        try
        {
            if (report.Status == HealthStatus.Healthy)
            {
                // Renamed into place: a HEALTHCHECK never reads half a file, and whatever was at the path (a FIFO would
                // block an open for writing) is replaced, not written through.
                var temporary = TemporaryPath(_path);
                await File.WriteAllTextAsync(temporary, time.GetUtcNow().ToString("O", CultureInfo.InvariantCulture) + "\n", cancellationToken);
                File.Move(temporary, _path, overwrite: true);
            }
            else
            {
                File.Delete(_path);
            }
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            HealthLog.FileFailed(logger, _path, ex.Message);
        }
    }
}
