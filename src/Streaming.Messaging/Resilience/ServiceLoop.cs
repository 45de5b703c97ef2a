using Microsoft.Extensions.Hosting;
using Streaming.Messaging.Connection;
using Streaming.Messaging.Hosting;

namespace Streaming.Messaging.Resilience;

/// <summary>
/// The start/retry/exit loop of a long-running service (the consumer, the watch service): runs it until it returns or
/// the service stops; a transient fault (<see cref="FaultClassifier"/>) while starting starts it again after
/// <see cref="RetryDefaults.ServiceRestart"/> (automatic recovery covers what comes after the start); a refused
/// configuration stops the application with exit code 2; anything else fails it with exit code 1.
/// </summary>
internal static class ServiceLoop
{
    public static Task RunAsync(
        Func<CancellationToken, Task> run, ServiceLoopLog log, IHostApplicationLifetime lifetime, CancellationToken stoppingToken) =>
        RunAsync(run, log, lifetime, RetryDefaults.ServiceRestart, stoppingToken);

    public static async Task RunAsync(
        Func<CancellationToken, Task> run, ServiceLoopLog log, IHostApplicationLifetime lifetime, TimeSpan restartDelay,
        CancellationToken stoppingToken)
    {
        ArgumentNullException.ThrowIfNull(run);
        ArgumentNullException.ThrowIfNull(log);
        ArgumentNullException.ThrowIfNull(lifetime);
        while (true)
        {
            try
            {
                await run(stoppingToken);
                return;
            }
            catch (Exception ex)
            {
                var fault = FaultClassifier.Classify(ex, stoppingToken);
                switch (fault.Kind)
                {
                    case FaultKind.Cancelled:
                        return;     // stopped before or while starting
                    case FaultKind.Refused:
                        // Configuration, not a passing fault: retrying cannot help.
                        log.Refused(ex.Message);
                        Environment.ExitCode = UsageErrors.ExitCode;
                        lifetime.StopApplication();
                        return;
                    case FaultKind.Transient when !stoppingToken.IsCancellationRequested:
                        log.Interrupted(UriMasking.Mask(ex.Message), restartDelay.TotalSeconds);
                        await Task.Delay(restartDelay, stoppingToken).ContinueWith(static _ => { }, TaskScheduler.Default);
                        break;
                    default:
                        log.Failed(ex);
                        Environment.ExitCode = 1;
                        throw;
                }
            }
        }
    }
}
