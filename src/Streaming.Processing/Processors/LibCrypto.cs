using System.Runtime.InteropServices;

namespace Streaming.Consumer.Processors;

/// <summary>The few OpenSSL 3 digest functions the SHA-256 chain needs.</summary>
internal static unsafe partial class LibCrypto
{
    internal const string LibraryName = "libcrypto.so.3";

    [LibraryImport(LibraryName, EntryPoint = "EVP_MD_fetch", StringMarshalling = StringMarshalling.Utf8)]
    internal static partial nint EvpMdFetch(nint libraryContext, string algorithm, string? properties);

    [LibraryImport(LibraryName, EntryPoint = "EVP_MD_CTX_new")]
    internal static partial EvpMdContextHandle EvpMdCtxNew();

    [LibraryImport(LibraryName, EntryPoint = "EVP_MD_CTX_free")]
    internal static partial void EvpMdCtxFree(nint context);

    [LibraryImport(LibraryName, EntryPoint = "EVP_DigestInit_ex2")]
    internal static partial int EvpDigestInitEx2(nint context, nint digest, nint parameters);

    [LibraryImport(LibraryName, EntryPoint = "EVP_DigestUpdate")]
    internal static partial int EvpDigestUpdate(nint context, byte* data, nuint length);

    [LibraryImport(LibraryName, EntryPoint = "EVP_DigestFinal_ex")]
    internal static partial int EvpDigestFinalEx(nint context, byte* digest, uint* length);

    // The chain's inner rounds hash exactly 32 bytes. On OpenSSL 3.0 every EVP_DigestInit_ex2 costs more than that
    // hash itself (sha256:100 on one core: 51k lines/s with EVP for every round, 120k with these), so the rounds use
    // the deprecated but exported low-level functions on a caller-owned SHA256_CTX.
    // They are pure computation on 32 bytes (no locks, allocation or callbacks), so the GC transition can be skipped.
    // Never use them for a whole line.

    /// <summary>sizeof(SHA256_CTX) is 112 bytes; this leaves room to spare.</summary>
    internal const int Sha256ContextSize = 128;

    [LibraryImport(LibraryName, EntryPoint = "SHA256_Init")]
    [SuppressGCTransition]
    internal static partial int Sha256Init(byte* context);

    [LibraryImport(LibraryName, EntryPoint = "SHA256_Update")]
    [SuppressGCTransition]
    internal static partial int Sha256Update(byte* context, byte* data, nuint length);

    [LibraryImport(LibraryName, EntryPoint = "SHA256_Final")]
    [SuppressGCTransition]
    internal static partial int Sha256Final(byte* digest, byte* context);
}
