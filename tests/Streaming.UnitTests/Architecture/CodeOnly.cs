namespace Streaming.UnitTests.Architecture;

/// <summary>C# source with its comments, preprocessor lines and the whole of each string and character literal
/// (interpolated and raw ones too, with their holes) blanked out, line breaks kept: what is left is code, and its
/// braces are the code's.</summary>
internal sealed class CodeOnly
{
    private readonly string _text;
    private readonly char[] _mask;
    private int _at;

    private CodeOnly(string text)
    {
        _text = text;
        _mask = text.ToCharArray();
    }

    public static string Mask(string source)
    {
        var scan = new CodeOnly(source);
        scan.Code(inHole: false);
        return new string(scan._mask);
    }

    /// <summary>Reads code up to the end, or (in an interpolation hole) up to the brace that closes the hole.</summary>
    private void Code(bool inHole)
    {
        var depth = 0;
        while (_at < _text.Length)
        {
            var c = _text[_at];
            if ((c == '/' && Next(1) == '/') || (c == '#' && !inHole && AtLineStart()))
            {
                Blank(_at, LineEnd());
            }
            else if (c == '/' && Next(1) == '*')
            {
                var end = _text.IndexOf("*/", _at + 2, StringComparison.Ordinal);
                Blank(_at, end < 0 ? _text.Length : end + 2);
            }
            else if (c == '\'')
            {
                CharLiteral();
            }
            else if (c == '"' || ((c == '$' || c == '@') && StringAhead()))
            {
                StringLiteral();
            }
            else
            {
                if (inHole && c == '}' && depth-- == 0)
                {
                    return;
                }
                depth += c == '{' ? 1 : 0;
                _at++;
            }
        }
    }

    private void CharLiteral()
    {
        var start = _at++;
        while (_at < _text.Length && _text[_at] != '\'')
        {
            _at += _text[_at] == '\\' ? 2 : 1;
        }
        Blank(start, ++_at);
    }

    private void StringLiteral()
    {
        var start = _at;
        var dollars = 0;
        var verbatim = false;
        for (; _text[_at] is '$' or '@'; _at++)
        {
            dollars += _text[_at] == '$' ? 1 : 0;
            verbatim |= _text[_at] == '@';
        }
        var quotes = verbatim ? 1 : Run('"');     // @"""" is a verbatim string that holds a quote, not a raw one
        _at += quotes;
        if (quotes == 2)
        {
            Blank(start, _at);      // ""
            return;
        }
        var raw = quotes >= 3;
        while (_at < _text.Length)
        {
            var c = _text[_at];
            if (c == '"' && (raw ? Run('"') >= quotes : !(verbatim && Next(1) == '"')))
            {
                _at += raw ? quotes : 1;
                break;
            }
            if (!raw && (c == '"' || (c == '\\' && !verbatim)))
            {
                _at += 2;       // "" in a verbatim string, or an escape
            }
            else if (c == '{' && dollars > 0 && (raw ? Run('{') >= dollars : Next(1) != '{'))
            {
                _at += raw ? Run('{') : 1;
                Code(inHole: true);
                _at += raw ? Run('}') : 1;
            }
            else
            {
                _at += !raw && dollars > 0 && (c is '{' or '}') ? 2 : 1;     // {{ and }} in an interpolated string
            }
        }
        Blank(start, _at);
    }

    private bool StringAhead()
    {
        var at = _at;
        while (at < _text.Length && _text[at] is '$' or '@')
        {
            at++;
        }
        return at < _text.Length && _text[at] == '"';
    }

    private int Run(char c)
    {
        var length = 0;
        while (_at + length < _text.Length && _text[_at + length] == c)
        {
            length++;
        }
        return length;
    }

    private char Next(int offset) => _at + offset < _text.Length ? _text[_at + offset] : '\0';

    private bool AtLineStart()
    {
        for (var at = _at - 1; at >= 0 && _text[at] != '\n'; at--)
        {
            if (!char.IsWhiteSpace(_text[at]))
            {
                return false;
            }
        }
        return true;
    }

    private int LineEnd()
    {
        var end = _text.IndexOf('\n', _at);
        return end < 0 ? _text.Length : end;
    }

    private void Blank(int from, int to)
    {
        to = Math.Min(to, _text.Length);
        for (var at = from; at < to; at++)
        {
            _mask[at] = _text[at] == '\n' ? '\n' : ' ';
        }
        _at = to;
    }
}
