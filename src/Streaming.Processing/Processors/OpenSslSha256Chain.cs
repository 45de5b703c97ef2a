using System.Runtime.InteropServices;
using System.Security.Cryptography;

namespace Streaming.Consumer.Processors;

/// <summary>
/// The fast chain: the line goes through one OpenSSL <c>EVP_MD_CTX</c> reused for every line, and the 32-byte rounds
/// through the low-level SHA-256 functions (see <see cref="LibCrypto"/>). <see cref="SHA256.HashData(
/// ReadOnlySpan{byte}, Span{byte})"/> sets up a context per call, which dominates the cost of hashing 32 bytes.
/// </summary>
internal sealed unsafe class OpenSslSha256Chain : ISha256Chain
{
    private const int DigestLength = 32;

    // Fetched once for the process and never freed: an explicitly fetched EVP_MD spares EVP_DigestInit_ex2 the
    // implicit provider lookup that EVP_sha256() would cost on every line (measured: 4x slower per init).
    private static readonly nint s_sha256 = TryFetchSha256();

    private readonly EvpMdContextHandle _context;

    public OpenSslSha256Chain()
    {
        if (!IsSupported)
        {
            throw new PlatformNotSupportedException($"OpenSSL 3 ({LibCrypto.LibraryName}) is not available");
        }
        _context = NewContext();
    }

    /// <summary>Whether libcrypto 3 could be loaded and computes SHA-256 correctly (checked once).</summary>
    public static bool IsSupported => s_sha256 != nint.Zero;

    public void Compute(ReadOnlySpan<byte> data, int rounds, Span<byte> digest)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(digest.Length, DigestLength, nameof(digest));
        // One reference for the whole chain instead of one per native call.
        var referenced = false;
        _context.DangerousAddRef(ref referenced);
        try
        {
            Compute(_context.DangerousGetHandle(), s_sha256, data, rounds, digest);
        }
        finally
        {
            if (referenced)
            {
                _context.DangerousRelease();
            }
        }
    }

    public void Dispose() => _context.Dispose();

    private static void Compute(nint context, nint sha256, ReadOnlySpan<byte> data, int rounds, Span<byte> digest)
    {
        uint length;
        var roundContext = stackalloc byte[LibCrypto.Sha256ContextSize];
        fixed (byte* input = data)
        fixed (byte* output = digest)
        {
            Check(LibCrypto.EvpDigestInitEx2(context, sha256, nint.Zero), "EVP_DigestInit_ex2");
            Check(LibCrypto.EvpDigestUpdate(context, input, (nuint)data.Length), "EVP_DigestUpdate");
            Check(LibCrypto.EvpDigestFinalEx(context, output, &length), "EVP_DigestFinal_ex");
            for (var round = 1; round < rounds; round++)
            {
                // Hashing the digest in place is safe: Update copies it into the context before Final overwrites it.
                Check(LibCrypto.Sha256Init(roundContext), "SHA256_Init");
                Check(LibCrypto.Sha256Update(roundContext, output, DigestLength), "SHA256_Update");
                Check(LibCrypto.Sha256Final(output, roundContext), "SHA256_Final");
            }
        }
    }

    private static void Check(int result, string function)
    {
        if (result != 1)
        {
            throw new CryptographicException($"OpenSSL {function} failed");
        }
    }

    private static EvpMdContextHandle NewContext()
    {
        var context = LibCrypto.EvpMdCtxNew();
        if (context.IsInvalid)
        {
            context.Dispose();
            throw new CryptographicException("OpenSSL EVP_MD_CTX_new failed");
        }
        return context;
    }

    private static nint TryFetchSha256()
    {
        if (!NativeLibrary.TryLoad(LibCrypto.LibraryName, typeof(LibCrypto).Assembly, null, out _))
        {
            return nint.Zero;
        }
        try
        {
            var sha256 = LibCrypto.EvpMdFetch(nint.Zero, "SHA256", null);
            return sha256 != nint.Zero && PassesSelfTest(sha256) ? sha256 : nint.Zero;
        }
        catch (Exception exception) when (exception is EntryPointNotFoundException or DllNotFoundException
            or CryptographicException)
        {
            return nint.Zero;
        }
    }

    // Two rounds exercise both the EVP and the low-level imports against .NET's own SHA-256.
    private static bool PassesSelfTest(nint sha256)
    {
        ReadOnlySpan<byte> data = "abc"u8;
        Span<byte> expected = stackalloc byte[DigestLength];
        SHA256.HashData(data, expected);
        SHA256.HashData(expected, expected);

        Span<byte> actual = stackalloc byte[DigestLength];
        using var context = NewContext();
        Compute(context.DangerousGetHandle(), sha256, data, rounds: 2, actual);
        return actual.SequenceEqual(expected);
    }
}
