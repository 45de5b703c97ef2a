using System.Runtime.InteropServices;
using System.Security.Cryptography;
using System.Text;
using Streaming.Consumer.Processors;
using static Streaming.UnitTests.Processing.Processors.ProcessorRun;

namespace Streaming.UnitTests.Processing.Processors;

public sealed class Sha256ProcessorTests
{
    private const string NulAndInvalidUtf8 = "61 00 62 ff fe c0 af ed a0 80 7a";

    // Computed with Python's hashlib, independently of both backends:
    // h = sha256(line).digest(); repeat R-1 times: h = sha256(h).digest(); print(h.hex())
    private static readonly (string LineHex, int Rounds, string Expected)[] s_pythonVectors =
    [
        ("", 1, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"),
        ("", 2, "5df6e0e2761359d30a8275058e299fcc0381534545f55cf43e41983f5d4c9456"),
        ("", 100, "ca3c9dcbb3aa2d8ba1f13a79d7e6f58c7dbcb5f879989d91de8ced9878cdb9ec"),
        ("", 1000, "ccacebeaa615bc6656e00e68c86e9a2664a98f6742fa3eb280dda3200432026b"),
        ("616263", 1, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"),
        ("616263", 2, "4f8b42c22dd3729b519ba6f68d2da7cc5b2d606d05daed5ad5128cc03e6c6358"),
        ("616263", 100, "45b9d3cf77ffa0063dc37b84bcb3db9cef42eac523ec3f6a3ead7e40d2c4776b"),
        ("616263", 1000, "fc8a6b86a13f71cd9a67f558ab6fd82a3dd89186163a017ed8051acf6d3f8f99"),
        ("616263", 1_000_000, "469fc8f9ff7238f035d2cd693c505b2b6fbfc38437ae45a70b5312fe1f052471"),
        (NulAndInvalidUtf8, 1, "737506924f6475230fc6584e51ae64842592e9ba9ad4fe3234f2ea153cd96f91"),
        (NulAndInvalidUtf8, 2, "79091457ac9f1dac7120d4e89dd2ebe12ec8e899996ae2fc8135055b385978ea"),
        (NulAndInvalidUtf8, 100, "0c75a8980eec7c6e45204e5f21ff98492831b5eb155260ef0a621631eabd974f"),
        (NulAndInvalidUtf8, 1000, "3d26407b4c984b7b2f3015d2b99957196ecfb45b0a348efd7497433fa5d21f52"),
    ];

    // bytes(i % 251 for i in range(1 << 20)): a line of many SHA-256 blocks.
    private static readonly byte[] s_megabyteLine = [.. Enumerable.Range(0, 1 << 20).Select(i => (byte)(i % 251))];

    private static readonly (int Rounds, string Expected)[] s_megabyteVectors =
    [
        (1, "631b84027d6b9e52b539c4e8373622d23032dfadc64d60af87339c9037e4f769"),
        (3, "c38738677aace2f3ba88c2c97a7d086b97a94cb7cbc0717290294958911245ec"),
    ];

    /// <summary>The backends that can run here: IncrementalHash always, OpenSSL where libcrypto 3 loads.</summary>
    public static TheoryData<string> Backends => [.. AvailableBackends()];

    public static TheoryData<string, string, int, string> PythonVectors
    {
        get
        {
            var data = new TheoryData<string, string, int, string>();
            foreach (var backend in AvailableBackends())
            {
                foreach (var (lineHex, rounds, expected) in s_pythonVectors)
                {
                    data.Add(backend, lineHex, rounds, expected);
                }
            }
            return data;
        }
    }

    public static TheoryData<string, int> BackendsAndRounds
    {
        get
        {
            var data = new TheoryData<string, int>();
            foreach (var backend in AvailableBackends())
            {
                foreach (var rounds in new[] { 1, 2, 100, 1000 })
                {
                    data.Add(backend, rounds);
                }
            }
            return data;
        }
    }

    [Theory]
    [MemberData(nameof(PythonVectors))]
    public async Task ProcessAsync_PythonVector_WritesLowercaseHexOfChain(
        string backend, string lineHex, int rounds, string expected)
    {
        // Arrange
        using var processor = new Sha256Processor(rounds, Parse(backend));

        // Act
        var output = await OutputAsync(processor, Hex(lineHex));

        // Assert
        Assert.Equal(expected, Encoding.ASCII.GetString(output));
    }

    [Theory]
    [MemberData(nameof(Backends))]
    public async Task ProcessAsync_MegabyteLine_MatchesPythonVectors(string backend)
    {
        foreach (var (rounds, expected) in s_megabyteVectors)
        {
            // Arrange
            using var processor = new Sha256Processor(rounds, Parse(backend));

            // Act
            var output = await OutputAsync(processor, s_megabyteLine);

            // Assert
            Assert.Equal(expected, Encoding.ASCII.GetString(output));
        }
    }

    [Theory]
    [MemberData(nameof(BackendsAndRounds))]
    public async Task ProcessAsync_VariedLines_MatchesHashDataChain(string backend, int rounds)
    {
        // Arrange
        using var processor = new Sha256Processor(rounds, Parse(backend));

        foreach (var line in VariedLines())
        {
            // Act
            var output = await OutputAsync(processor, line);

            // Assert
            Assert.Equal(HashDataChain(line, rounds), Encoding.ASCII.GetString(output));
        }
    }

    [Theory]
    [MemberData(nameof(Backends))]
    public async Task ProcessAsync_SameInstanceManyLines_MatchesFreshInstances(string backend)
    {
        // Arrange
        const int Rounds = 7;
        var lines = VariedLines().ToArray();
        using var reused = new Sha256Processor(Rounds, Parse(backend));
        var expected = new List<byte[]>();
        foreach (var line in lines)
        {
            using var fresh = new Sha256Processor(Rounds, Parse(backend));
            expected.Add(await OutputAsync(fresh, line));
        }

        // Act
        var actual = new List<byte[]>();
        foreach (var line in lines)
        {
            actual.Add(await OutputAsync(reused, line));
        }

        // Assert
        Assert.Equal(expected, actual);
    }

    [Fact]
    public async Task ProcessAsync_BothBackends_Agree()
    {
        // Arrange
        if (!OpenSslSha256Chain.IsSupported)
        {
            return;
        }
        using var openSsl = new Sha256Processor(100, Sha256Backend.OpenSsl);
        using var portable = new Sha256Processor(100, Sha256Backend.IncrementalHash);

        foreach (var line in VariedLines())
        {
            // Act
            var fromOpenSsl = await OutputAsync(openSsl, line);
            var fromPortable = await OutputAsync(portable, line);

            // Assert
            Assert.Equal(fromPortable, fromOpenSsl);
        }
    }

    [Theory]
    [MemberData(nameof(Backends))]
    public async Task ProcessAsync_AfterDispose_ThrowsObjectDisposed(string backend)
    {
        // Arrange
        var processor = new Sha256Processor(2, Parse(backend));
        processor.Dispose();

        // Act + Assert
        await Assert.ThrowsAsync<ObjectDisposedException>(() => OutputAsync(processor, "abc"u8.ToArray()));
    }

    [Fact]
    public void IsSupported_WhenLibcryptoLoads_IsTrueAndPreferred()
    {
        // Arrange
        var loads = NativeLibrary.TryLoad("libcrypto.so.3", out _);

        // Act
        var supported = OpenSslSha256Chain.IsSupported;

        // Assert
        Assert.Equal(loads, supported);
        Assert.Equal(supported ? Sha256Backend.OpenSsl : Sha256Backend.IncrementalHash, Sha256Processor.PreferredBackend);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(-1)]
    [InlineData(1_000_001)]
    public void Constructor_RoundsOutOfRange_Throws(int rounds)
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new Sha256Processor(rounds, Sha256Backend.IncrementalHash));
    }

    private static IEnumerable<string> AvailableBackends()
    {
        yield return nameof(Sha256Backend.IncrementalHash);
        if (OpenSslSha256Chain.IsSupported)
        {
            yield return nameof(Sha256Backend.OpenSsl);
        }
    }

    private static Sha256Backend Parse(string backend) => Enum.Parse<Sha256Backend>(backend);

    // The second oracle: .NET's one-shot SHA-256, called once per round.
    private static string HashDataChain(byte[] line, int rounds)
    {
        var digest = SHA256.HashData(line);
        for (var round = 1; round < rounds; round++)
        {
            digest = SHA256.HashData(digest);
        }
        return Convert.ToHexStringLower(digest);
    }

    // Lengths around the 64-byte block and 55-byte padding boundaries, all byte values, fixed seed.
    private static IEnumerable<byte[]> VariedLines()
    {
        var random = new Random(20240601);
        yield return [];
        yield return [0];
        yield return Hex(NulAndInvalidUtf8);
        foreach (var length in new[] { 1, 31, 32, 33, 55, 56, 63, 64, 65, 119, 120, 127, 128, 129, 1000, 4096, 70_000 })
        {
            var line = new byte[length];
            random.NextBytes(line);
            yield return line;
        }
    }
}
