namespace Streaming.UnitTests.Architecture.Probes;

/// <summary>Deletes a file in a lambda and moves a folder in an async method, for <see cref="FileMoves"/> to find.</summary>
internal static class MovesFiles
{
    public static Action DeleteLater(string path) => () => File.Delete(path);

    public static async Task MoveAsync(string from, string to)
    {
        await Task.Yield();
        Directory.Move(from, to);
    }
}
