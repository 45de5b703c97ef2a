using Streaming.Producer.Job.FileSystem;

namespace Streaming.Producer.Job.Cancelling;

/// <summary>Removes what a cancelled job's run left (<see cref="JobFiles.Unfinished"/>): nothing is left to resume.</summary>
internal static class UnfinishedOutputs
{
    /// <exception cref="IOException">One could not be removed.</exception>
    /// <exception cref="UnauthorizedAccessException">One could not be removed.</exception>
    public static void Remove(JobFiles files)
    {
        foreach (var path in files.Unfinished)
        {
            File.Delete(path);
        }
        PosixFiles.SyncDirectory(files.OutputDirectory);
    }
}
