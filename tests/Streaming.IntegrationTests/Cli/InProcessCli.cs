using Streaming.Consumer;
using Streaming.Producer.Cli;

namespace Streaming.IntegrationTests.Cli;

/// <summary>
/// Runs a command line through the executables' own entry points (<c>ProducerApp.RunAsync</c>, what the Producer's
/// <c>Main</c> calls, and <c>ConsumerApp.RunAsync</c>) inside this process, with stdout and stderr captured and the
/// case's environment variables set, one case at a time (both are process-wide). The stop token is cancelled before
/// the run: a command that passes every start-up check stops there instead of connecting (publish: exit 130,
/// services: exit 0).
/// </summary>
internal static class InProcessCli
{
    private static readonly SemaphoreSlim s_oneAtATime = new(1, 1);

    public static async Task<CliOutcome> RunAsync(CliCase cliCase, TimeSpan timeout)
    {
        if (!await s_oneAtATime.WaitAsync(timeout))
        {
            return new CliOutcome(null, "", "", "an earlier run still holds the console");
        }
        var saved = cliCase.Environment.Keys.ToDictionary(k => k, Environment.GetEnvironmentVariable);
        var (savedOut, savedError) = (Console.Out, Console.Error);
        using var stdout = new StringWriter();
        using var stderr = new StringWriter();
        using var stop = new CancellationTokenSource();
        await stop.CancelAsync();
        try
        {
            foreach (var (key, value) in cliCase.Environment)
            {
                Environment.SetEnvironmentVariable(key, value);
            }
            Console.SetOut(TextWriter.Synchronized(stdout));
            Console.SetError(TextWriter.Synchronized(stderr));
            Environment.ExitCode = 0;
            var arguments = cliCase.Arguments.ToArray();
            // On the thread pool, so that a run that blocks before its first await still meets the timeout.
            var run = Task.Run(() => cliCase.IsProducer
                ? ProducerApp.RunAsync(arguments, stop.Token)
                : ConsumerApp.RunAsync(arguments, null, stop.Token));
            var code = await run.WaitAsync(timeout);
            return new CliOutcome(code, stdout.ToString(), stderr.ToString(), null);
        }
        catch (TimeoutException)
        {
            return new CliOutcome(null, stdout.ToString(), stderr.ToString(), $"did not end within {timeout.TotalSeconds} s");
        }
        catch (Exception ex)
        {
            return new CliOutcome(null, stdout.ToString(), stderr.ToString(), $"threw {ex.GetType().Name}: {ex.Message}");
        }
        finally
        {
            Console.SetOut(savedOut);
            Console.SetError(savedError);
            foreach (var (key, value) in saved)
            {
                Environment.SetEnvironmentVariable(key, value);
            }
            Environment.ExitCode = 0;
            s_oneAtATime.Release();
        }
    }
}
