using System.Security.Cryptography;
using System.Text;

namespace Streaming.IntegrationTests.Pipeline;

/// <summary>
/// The expected output, computed the plain way: split the whole input in memory and apply each processor with the
/// simplest code that meets the specification. Independent of the services' cutter and processors.
/// </summary>
internal static class ReferenceOutput
{
    public static List<byte[]> SplitLines(byte[] input)
    {
        var lines = new List<byte[]>();
        var start = 0;
        for (var i = 0; i <= input.Length; i++)
        {
            if (i == input.Length && start == input.Length)
            {
                break;
            }
            if (i == input.Length || input[i] == (byte)'\n')
            {
                var end = i;
                if (end > start && input[end - 1] == (byte)'\r')
                {
                    end--;
                }
                lines.Add(input[start..end]);
                start = i + 1;
            }
        }
        return lines;
    }

    /// <summary>Each line's output, or null when the line must fail.</summary>
    public static byte[]? Apply(string processor, byte[] line)
    {
        var colon = processor.IndexOf(':', StringComparison.Ordinal);
        var name = colon < 0 ? processor : processor[..colon];
        var argument = colon < 0 ? null : processor[(colon + 1)..];
        return name switch
        {
            "identity" or "delay" or "jitter" or "slow" => line,
            "upper" => Upper(line),
            "wordcount" => Encoding.ASCII.GetBytes(WordCount(line).ToString(System.Globalization.CultureInfo.InvariantCulture)),
            "sha256" => Sha256(line, argument is null ? 1 : int.Parse(argument, System.Globalization.CultureInfo.InvariantCulture)),
            _ => throw new ArgumentException($"no reference for {processor}"),
        };
    }

    /// <summary>The whole expected .out file.</summary>
    public static byte[] OutputFile(string processor, byte[] input, Func<byte[], bool>? fails = null)
    {
        var output = new MemoryStream();
        foreach (var line in SplitLines(input))
        {
            var result = fails?.Invoke(line) == true ? null : Apply(processor, line);
            output.Write(result ?? []);
            output.WriteByte((byte)'\n');
        }
        return output.ToArray();
    }

    private static byte[]? Upper(byte[] line)
    {
        string text;
        try
        {
            text = new UTF8Encoding(false, throwOnInvalidBytes: true).GetString(line);
        }
        catch (DecoderFallbackException)
        {
            return null;
        }
        var chars = text.ToCharArray();
        for (var i = 0; i < chars.Length; i++)
        {
            chars[i] = char.ToUpperInvariant(chars[i]);
        }
        return Encoding.UTF8.GetBytes(chars);
    }

    private static int WordCount(byte[] line)
    {
        var words = 0;
        var inWord = false;
        foreach (var b in line)
        {
            var separator = b is (byte)' ' or (byte)'\t' or 0x0B or 0x0C or (byte)'\r';
            if (!separator && !inWord)
            {
                words++;
            }
            inWord = !separator;
        }
        return words;
    }

    private static byte[] Sha256(byte[] line, int rounds)
    {
        var digest = line;
        for (var i = 0; i < rounds; i++)
        {
            digest = SHA256.HashData(digest);
        }
        return Encoding.ASCII.GetBytes(Convert.ToHexStringLower(digest));
    }
}
