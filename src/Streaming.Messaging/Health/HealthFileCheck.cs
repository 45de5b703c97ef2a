namespace Streaming.Messaging.Health;

/// <summary>
/// Checks at start-up that <see cref="HealthOptions.File"/> can be written. Without it a wrong path is found only by
/// the health publisher, as a warning every few seconds from a container that never turns healthy.
/// </summary>
internal static class HealthFileCheck
{
    public static bool TryCheck(string file, out string? error)
    {
        error = null;
        if (file.Length == 0)
        {
            return true;
        }
        string path;
        try
        {
            path = Path.GetFullPath(file);
        }
        catch (Exception ex) when (ex is ArgumentException or NotSupportedException or PathTooLongException)
        {
            error = $"Health:File: '{file}' is not a usable path ({ex.Message})";
            return false;
        }
        if (Directory.Exists(path))
        {
            error = $"Health:File: '{file}' is a folder; give the path of a file in it";
            return false;
        }
        if (Path.GetDirectoryName(path) is not { } folder || !Directory.Exists(folder))
        {
            error = $"Health:File: the folder of '{file}' does not exist";
            return false;
        }
        try
        {
            // The temporary file the publisher writes and renames into place (HealthFilePublisher), not the path
            // itself: whatever is there (a FIFO would block an open for writing) is replaced by that rename.
            var temporary = HealthFilePublisher.TemporaryPath(path);
            using (new FileStream(temporary, FileMode.Create, FileAccess.Write))
            {
            }
            File.Delete(temporary);
            return true;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            error = $"Health:File: no file can be written beside '{file}' ({ex.Message})";
            return false;
        }
    }
}
