using System.Text;

namespace Streaming.IntegrationTests.Pipeline;

/// <summary>A file holding every line-splitting edge case the product promises to handle.</summary>
internal static class EdgeCaseInput
{
    public static byte[] Create(int fillerLines = 3000)
    {
        var text = new MemoryStream();
        void Add(string s) => text.Write(Encoding.UTF8.GetBytes(s));
        void Raw(params byte[] bytes) => text.Write(bytes);

        Add("plain line\n");
        Add("crlf line\r\n");
        Add("lone \r carriage return inside\n");
        Add("double cr\r\r\n");
        Add("\n");
        Add("\r\n");
        Add("  spaced\t\twords\vand\fmore  \n");
        Raw(0, 1, 2, (byte)'n', (byte)'u', (byte)'l', 0, (byte)'\n');
        Raw(0xff, 0xfe, (byte)' ', 0xc3, 0x28, (byte)' ', 0xed, 0xa0, 0x80, (byte)'\n');
        Add("straße ÉCOLE naïve Ωμέγα привет 😀 done\n");
        var random = new Random(1234);
        for (var i = 0; i < fillerLines; i++)
        {
            Add($"{i:D6} ");
            for (var j = random.Next(0, 120); j > 0; j--)
            {
                text.WriteByte((byte)random.Next(32, 127));
            }
            Add(i % 7 == 0 ? "\r\n" : "\n");
        }
        Add("last line without terminator");
        return text.ToArray();
    }
}
