namespace Streaming.IntegrationTests.Faults;

/// <summary>Waits for a job's partial output to reach a size: the moment to inject a fault mid-file.</summary>
internal static class OutputProgress
{
    public static async Task WaitForBytesAsync(string inputPath, long bytes, TimeSpan timeout)
    {
        var partial = inputPath + ".out.partial";
        using var deadline = new CancellationTokenSource(timeout);
        while (!File.Exists(partial) || new FileInfo(partial).Length < bytes)
        {
            if (File.Exists(inputPath + ".out"))
            {
                throw new InvalidOperationException($"{inputPath} finished before its output reached {bytes} bytes: the fault came too late");
            }
            await Task.Delay(50, deadline.Token);
        }
    }
}
