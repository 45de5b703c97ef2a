using System.Text.RegularExpressions;

namespace Streaming.UnitTests.Architecture;

/// <summary>
/// The members of a C# source file with code in braces (methods, constructors, properties, operators) and the lines
/// of each one's body: those between its opening and its closing brace (ResultCollector.ResumeAsync's 53 lines, as
/// issue 23 counted them). Comments, preprocessor lines and the text of string and character literals (interpolated and
/// raw ones too) are read past, so a brace in them counts for nothing. A field's initializer is not a member here.
/// </summary>
internal static partial class SourceMembers
{
    public static List<(string Head, int Lines)> Of(string source)
    {
        var code = CodeOnly.Mask(source);
        var members = new List<(string, int)>();
        var open = new Stack<(int At, string Head, bool IsType, bool IsMember)>();
        var headStart = 0;
        for (var at = 0; at < code.Length; at++)
        {
            switch (code[at])
            {
                case '{':
                    var head = Head(code, headStart, at);
                    var inType = open.Count == 0 || open.Peek().IsType;
                    var isType = inType && TypeKeyword().IsMatch(head.Split('(')[0]);
                    var isMember = inType && !isType && !FieldInitializer().IsMatch(head.Split('(')[0]);
                    open.Push((at, head, isType, isMember));
                    headStart = at + 1;
                    break;
                case '}':
                    var block = open.Pop();
                    if (block.IsMember)
                    {
                        members.Add((block.Head, LineOf(code, at) - LineOf(code, block.At) - 1));
                    }
                    headStart = at + 1;
                    break;
                case ';':
                    headStart = at + 1;
                    break;
            }
        }
        return members;
    }

    /// <summary>What declares the block that opens at <paramref name="brace"/>: the text since the last <c>;</c>,
    /// <c>{</c> or <c>}</c>, less its attributes.</summary>
    private static string Head(string code, int from, int brace)
    {
        var headAt = from;
        while (true)
        {
            while (headAt < brace && char.IsWhiteSpace(code[headAt]))
            {
                headAt++;
            }
            if (headAt >= brace || code[headAt] != '[')
            {
                break;
            }
            for (var depth = 0; headAt < brace; headAt++)
            {
                depth += code[headAt] == '[' ? 1 : code[headAt] == ']' ? -1 : 0;
                if (depth == 0)
                {
                    headAt++;
                    break;
                }
            }
        }
        return Regex.Replace(code[headAt..brace], @"\s+", " ").Trim();
    }

    private static int LineOf(string code, int at) => code.AsSpan(0, at).Count('\n') + 1;

    /// <summary>A type's or namespace's declaration: its keyword comes before any parenthesis.</summary>
    [GeneratedRegex(@"\b(class|struct|interface|enum|record|namespace)\b")]
    private static partial Regex TypeKeyword();

    /// <summary>A field or event initialized with braces (<c>= new() { ... }</c>): an assignment before any parenthesis.</summary>
    [GeneratedRegex(@"(?<![=!<>])=(?![=>])")]
    private static partial Regex FieldInitializer();
}
