using System.Runtime.InteropServices;

namespace Streaming.Consumer.Processors;

/// <summary>Owns an OpenSSL <c>EVP_MD_CTX</c>.</summary>
internal sealed class EvpMdContextHandle : SafeHandle
{
    public EvpMdContextHandle()
        : base(nint.Zero, ownsHandle: true)
    {
    }

    public override bool IsInvalid => handle == nint.Zero;

    protected override bool ReleaseHandle()
    {
        LibCrypto.EvpMdCtxFree(handle);
        return true;
    }
}
