using System.Text.Json;
using Streaming.Producer.Job.FileSystem;
using Streaming.Producer.Job.Output;

namespace Streaming.Producer.Job.Redrive;

/// <summary>A list of failed lines that cannot be redriven: a line that is no errors entry, or lines out of order.</summary>
internal sealed class ErrorsFileException(string message) : Exception(message);

/// <summary>
/// Reads <c>&lt;name&gt;.errors.jsonl</c> lazily, one entry a line (<c>{"line": N, "error": "…"}</c>), checking each:
/// the line numbers must be whole numbers from 1 up, in increasing order (as a run writes them), so that the output
/// can be spliced in one pass.
/// </summary>
internal static class ErrorsFile
{
    /// <exception cref="ErrorsFileException">An entry is malformed or out of order (thrown when it is reached).</exception>
    public static IEnumerable<LineError> Read(TextReader reader, string name)
    {
        long previous = 0;
        long row = 0;
        while (reader.ReadLine() is { } text)
        {
            row++;
            var entry = Parse(text, name, row);
            if (entry.Line <= previous)
            {
                throw new ErrorsFileException(
                    $"'{name}' line {row}: line {entry.Line} comes after line {previous}; the entries must be in increasing line order");
            }
            previous = entry.Line;
            yield return entry;
        }
    }

    /// <summary>Reads the file at <paramref name="path"/> (see <see cref="Read(TextReader, string)"/>), a regular file
    /// only: a FIFO dropped in its place is refused, never waited on.</summary>
    /// <exception cref="IOException">It cannot be opened, or it is not a regular file.</exception>
    public static IEnumerable<LineError> Read(string path)
    {
        using var reader = new StreamReader(
            new FileStream(PosixFiles.OpenInput(path), FileAccess.Read), System.Text.Encoding.UTF8, detectEncodingFromByteOrderMarks: false);
        foreach (var entry in Read(reader, path))
        {
            yield return entry;
        }
    }

    private static LineError Parse(string text, string name, long row)
    {
        LineError? entry;
        try
        {
            entry = JsonSerializer.Deserialize(text, ProducerJsonContext.Default.LineError);
        }
        catch (JsonException ex)
        {
            throw new ErrorsFileException($"'{name}' line {row} is not an errors entry {{\"line\": N, \"error\": \"…\"}}: {ex.Message}");
        }
        if (entry is null || entry.Line < 1 || entry.Error is null)
        {
            throw new ErrorsFileException($"'{name}' line {row} is not an errors entry {{\"line\": N, \"error\": \"…\"}} with N ≥ 1");
        }
        return entry;
    }
}
