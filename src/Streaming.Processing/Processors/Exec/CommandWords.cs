using System.Text;

namespace Streaming.Consumer.Processors.Exec;

/// <summary>
/// Splits an <c>exec:</c> command line into words the way a POSIX shell splits a simple command — blanks separate
/// words; <c>'…'</c> keeps everything literally; <c>"…"</c> keeps everything but <c>\"</c>, <c>\\</c>, <c>\$</c>,
/// <c>\`</c> and backslash-newline; a backslash outside quotes keeps the next character — and refuses what only a
/// shell could do (pipes, redirections, lists — <c>;</c> or a line break —, substitutions, variables, <c>~</c>), since
/// no shell is run.
/// Globs (<c>*</c>, <c>?</c>, <c>[</c>) are passed on literally.
/// </summary>
internal static class CommandWords
{
    /// <summary>Returns the words, or null with a one-line reason.</summary>
    public static List<string>? TrySplit(string commandLine, out string? error)
    {
        var words = new List<string>();
        var word = new StringBuilder();
        var inWord = false;
        for (var i = 0; i < commandLine.Length; i++)
        {
            var c = commandLine[i];
            switch (c)
            {
                case '\n' or '\r' when !IsBlankToTheEnd(commandLine, i + 1):
                    error = $"a line break ('{(c == '\n' ? "\\n" : "\\r")}') outside quotes would start a second command, and no shell is run: write one command on one line, quote it to pass it on, or run the shell yourself (exec:sh -c '…')";
                    return null;
                case ' ' or '\t' or '\n' or '\r':
                    if (inWord)
                    {
                        words.Add(word.ToString());
                        word.Clear();
                        inWord = false;
                    }
                    break;
                case '\'':
                    var close = commandLine.IndexOf('\'', i + 1);
                    if (close < 0)
                    {
                        error = "unterminated single quote";
                        return null;
                    }
                    word.Append(commandLine, i + 1, close - i - 1);
                    i = close;
                    inWord = true;
                    break;
                case '"':
                    if (!TryReadDoubleQuoted(commandLine, ref i, word, out error))
                    {
                        return null;
                    }
                    inWord = true;
                    break;
                case '\\':
                    if (i + 1 == commandLine.Length)
                    {
                        error = "a backslash ends the command line";
                        return null;
                    }
                    i++;
                    if (commandLine[i] != '\n')
                    {
                        word.Append(commandLine[i]);
                        inWord = true;
                    }
                    break;
                case '|' or '&' or ';' or '<' or '>' or '(' or ')' or '`' or '$':
                    error = $"'{c}' needs a shell, and none is run: quote it to pass it on, or run the shell yourself (exec:sh -c '…')";
                    return null;
                case '~' when !inWord:
                    error = "'~' is not expanded (no shell is run): write the path in full";
                    return null;
                case '#' when !inWord:
                    error = "'#' would start a comment in a shell: quote it to pass it on";
                    return null;
                default:
                    word.Append(c);
                    inWord = true;
                    break;
            }
        }
        if (inWord)
        {
            words.Add(word.ToString());
        }
        if (words.Count == 0)
        {
            error = "the command line is empty";
            return null;
        }
        error = null;
        return words;
    }

    /// <summary>A line break that only blanks follow ends the command line (a value from a file or a YAML block keeps
    /// its last newline); any other would start a second command.</summary>
    private static bool IsBlankToTheEnd(string text, int from) =>
        text.AsSpan(from).IndexOfAnyExcept(" \t\r\n") < 0;

    private static bool TryReadDoubleQuoted(string text, ref int i, StringBuilder word, out string? error)
    {
        for (i++; i < text.Length; i++)
        {
            var c = text[i];
            if (c == '"')
            {
                error = null;
                return true;
            }
            if (c is '$' or '`')
            {
                error = $"'{c}' inside double quotes needs a shell, and none is run: use single quotes or '\\{c}'";
                return false;
            }
            if (c == '\\' && i + 1 < text.Length && text[i + 1] is '"' or '\\' or '$' or '`' or '\n')
            {
                i++;
                if (text[i] != '\n')
                {
                    word.Append(text[i]);
                }
                continue;
            }
            word.Append(c);
        }
        error = "unterminated double quote";
        return false;
    }
}
