using System.Text.Json;
using Streaming.IntegrationTests.Infrastructure;

namespace Streaming.IntegrationTests.Pipeline;

/// <summary>A running <c>publish</c>'s checkpoint, read from the outside as a test that kills it mid-file needs.</summary>
internal static class Checkpoints
{
    /// <summary>Waits until <paramref name="input"/>'s checkpoint is at or past <paramref name="minimumLine"/> and
    /// returns its next line; fails the test with <paramref name="producer"/>'s output after 90 s.</summary>
    public static async Task<long> WaitForLineAsync(string input, long minimumLine, ServiceProcess producer)
    {
        var timeout = TimeSpan.FromSeconds(90);
        using var deadline = new CancellationTokenSource(timeout);
        while (!deadline.IsCancellationRequested)
        {
            try
            {
                var checkpoint = JsonDocument.Parse(await File.ReadAllBytesAsync(input + ".checkpoint.json", deadline.Token));
                var nextLine = checkpoint.RootElement.GetProperty("nextLine").GetInt64();
                if (nextLine >= minimumLine)
                {
                    return nextLine;
                }
            }
            catch (Exception ex) when (ex is IOException or JsonException)
            {
                // Not written yet, or being replaced.
            }
            catch (OperationCanceledException) when (deadline.IsCancellationRequested)
            {
                break;
            }
            await Task.Delay(50, CancellationToken.None);
        }
        Assert.Fail($"no checkpoint past line {minimumLine} within {timeout.TotalSeconds} s: {producer.Describe()}");
        return 0;
    }
}
