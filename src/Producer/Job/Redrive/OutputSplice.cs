using Streaming.Producer.Job.Output;

namespace Streaming.Producer.Job.Redrive;

/// <summary>
/// The pure part of a redrive: the redriven lines' new output lines put in place of the old ones, and the errors that
/// are left. Every input is read once, in order, through a fixed buffer; nothing grows with the file.
/// </summary>
internal static class OutputSplice
{
    private static readonly byte[] s_newLine = "\n"u8.ToArray();

    /// <summary>
    /// Writes <paramref name="old"/>'s lines to <paramref name="output"/>, each terminated by <c>\n</c>, except that line
    /// <paramref name="redriven"/>[j] (increasing line numbers) is <paramref name="redrivenOutput"/>'s line j + 1;
    /// returns the lines written.
    /// </summary>
    /// <exception cref="OutputMismatchException">Either output has fewer lines than that takes.</exception>
    public static long Splice(IEnumerable<long> redriven, LineStream old, LineStream redrivenOutput, Stream output)
    {
        long line = 1;
        foreach (var target in redriven)
        {
            for (; line < target; line++)
            {
                CopyLine(old, output, "the output");
            }
            if (!old.NextLine(null))
            {
                throw new OutputMismatchException($"the output ends at line {line - 1:N0}, before line {target:N0} to redrive");
            }
            CopyLine(redrivenOutput, output, "the redriven lines' output");
            line++;
        }
        while (old.NextLine(output))
        {
            output.Write(s_newLine);
            line++;
        }
        return line - 1;
    }

    /// <summary>
    /// The errors left after a redrive, in line order: <paramref name="current"/>'s entries for lines that were not
    /// redriven, and <paramref name="redrivenErrors"/> (numbered 1, 2, … in the order of <paramref name="redriven"/>)
    /// under their lines' own numbers. Every sequence is in increasing line order.
    /// </summary>
    public static IEnumerable<LineError> MergeErrors(
        IEnumerable<LineError> current, IEnumerable<long> redriven, IEnumerable<LineError> redrivenErrors)
    {
        using var kept = Except(current, redriven).GetEnumerator();
        using var renumbered = Renumber(redrivenErrors, redriven).GetEnumerator();
        var hasKept = kept.MoveNext();
        var hasRenumbered = renumbered.MoveNext();
        while (hasKept || hasRenumbered)
        {
            if (hasKept && (!hasRenumbered || kept.Current.Line < renumbered.Current.Line))
            {
                yield return kept.Current;
                hasKept = kept.MoveNext();
            }
            else
            {
                yield return renumbered.Current;
                hasRenumbered = renumbered.MoveNext();
            }
        }
    }

    private static void CopyLine(LineStream source, Stream output, string what)
    {
        if (!source.NextLine(output))
        {
            throw new OutputMismatchException($"{what} ends at line {source.Lines:N0}, before the lines to splice");
        }
        output.Write(s_newLine);
    }

    /// <summary>The entries of <paramref name="entries"/> whose lines are not in <paramref name="lines"/>.</summary>
    private static IEnumerable<LineError> Except(IEnumerable<LineError> entries, IEnumerable<long> lines)
    {
        using var line = lines.GetEnumerator();
        var hasLine = line.MoveNext();
        foreach (var entry in entries)
        {
            while (hasLine && line.Current < entry.Line)
            {
                hasLine = line.MoveNext();
            }
            if (!hasLine || line.Current != entry.Line)
            {
                yield return entry;
            }
        }
    }

    /// <summary>Entry j of the redriven lines' errors under line <paramref name="lines"/>[j − 1].</summary>
    private static IEnumerable<LineError> Renumber(IEnumerable<LineError> entries, IEnumerable<long> lines)
    {
        using var line = lines.GetEnumerator();
        long index = 0;
        foreach (var entry in entries)
        {
            while (index < entry.Line)
            {
                if (!line.MoveNext())
                {
                    throw new OutputMismatchException($"the redriven lines' errors name line {entry.Line:N0} of {index:N0}");
                }
                index++;
            }
            yield return entry with { Line = line.Current };
        }
    }
}
