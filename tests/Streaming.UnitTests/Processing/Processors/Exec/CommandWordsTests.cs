using Streaming.Consumer.Processors.Exec;

namespace Streaming.UnitTests.Processing.Processors.Exec;

public sealed class CommandWordsTests
{
    public static TheoryData<string, string[]> Splits => new()
    {
        { "cat", ["cat"] },
        { "  python3   worker.py\targ  ", ["python3", "worker.py", "arg"] },
        { "tr a-z 'A-Z'", ["tr", "a-z", "A-Z"] },
        { "sh -c 'echo $HOME | tr a b; exit 1'", ["sh", "-c", "echo $HOME | tr a b; exit 1"] },
        { "echo 'it''s'", ["echo", "its"] },
        { "echo \"a b\" c", ["echo", "a b", "c"] },
        { "echo \"say \\\"hi\\\" \\\\ \\$x \\`\"", ["echo", "say \"hi\" \\ $x `"] },
        { "echo \"keep \\n and \\a\"", ["echo", "keep \\n and \\a"] },
        { "echo a\\ b \\'c\\' \\|", ["echo", "a b", "'c'", "|"] },
        { "echo ''", ["echo", ""] },
        { "echo \"\"x", ["echo", "x"] },
        { "echo one\\\ntwo", ["echo", "onetwo"] },
        { "echo a#b x~y", ["echo", "a#b", "x~y"] },
        { "grep -E '^[a-z]+$' *.txt ?", ["grep", "-E", "^[a-z]+$", "*.txt", "?"] },
        { "python3 'my worker.py'", ["python3", "my worker.py"] },
        { "echo 'a\nb' \"c\nd\"", ["echo", "a\nb", "c\nd"] },
        { "echo a\\\r", ["echo", "a\r"] },
        { "cat\n", ["cat"] },
        { "cat \r\n \n", ["cat"] },
    };

    [Theory]
    [MemberData(nameof(Splits))]
    public void TrySplit_ShellQuoting_SplitsAsAPosixShell(string commandLine, string[] expected)
    {
        var words = CommandWords.TrySplit(commandLine, out var error);

        Assert.Null(error);
        Assert.Equal(expected, words);
    }

    [Theory]
    [InlineData("", "the command line is empty")]
    [InlineData("   ", "the command line is empty")]
    [InlineData("echo 'open", "unterminated single quote")]
    [InlineData("echo \"open", "unterminated double quote")]
    [InlineData("echo \\", "a backslash ends the command line")]
    [InlineData("cat | tr a b", "'|' needs a shell")]
    [InlineData("cat > out", "'>' needs a shell")]
    [InlineData("cat < in", "'<' needs a shell")]
    [InlineData("a; b", "';' needs a shell")]
    [InlineData("a && b", "'&' needs a shell")]
    [InlineData("echo $HOME", "'$' needs a shell")]
    [InlineData("echo `date`", "'`' needs a shell")]
    [InlineData("echo (x)", "'(' needs a shell")]
    [InlineData("echo \"$HOME\"", "'$' inside double quotes needs a shell")]
    [InlineData("python3 ~/w.py", "'~' is not expanded")]
    [InlineData("cat # comment", "'#' would start a comment")]
    [InlineData("cat\nrm -rf /tmp/x", "a line break ('\\n') outside quotes would start a second command")]
    [InlineData("cat\r\nrm -rf /tmp/x", "a line break ('\\r') outside quotes would start a second command")]
    [InlineData("cat\rrm", "a line break ('\\r') outside quotes would start a second command")]
    [InlineData("cat \n\n  x", "a line break ('\\n') outside quotes would start a second command")]
    public void TrySplit_WhatOnlyAShellDoes_RefusedWithAReason(string commandLine, string expected)
    {
        var words = CommandWords.TrySplit(commandLine, out var error);

        Assert.Null(words);
        Assert.Contains(expected, error, StringComparison.Ordinal);
    }
}
