namespace Streaming.Consumer.Processors;

/// <summary>Which SHA-256 implementation a <see cref="Sha256Processor"/> uses.</summary>
internal enum Sha256Backend
{
    /// <summary>A reused OpenSSL 3 digest context called directly (several times faster for short inputs).</summary>
    OpenSsl,

    /// <summary>A reused <see cref="System.Security.Cryptography.IncrementalHash"/>; works everywhere.</summary>
    IncrementalHash,
}
