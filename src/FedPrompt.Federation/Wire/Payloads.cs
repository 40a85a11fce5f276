using System.Security.Cryptography;
using FedPrompt.Federation.Protocol;
using Google.Protobuf;

namespace FedPrompt.Federation.Wire;

/// <summary>How payloads are announced and cut for the wire.</summary>
public static class Payloads
{
    public const uint ProtocolVersion = 1;
    /// <summary>64 KiB: below .NET's large-object threshold (85,000 bytes), so the many chunk buffers of
    /// concurrent transfers are short-lived gen-0 garbage instead of piling up on the large-object heap.</summary>
    public const int DefaultChunkBytes = 1 << 16;

    public static PayloadInfo Describe(ReadOnlySpan<byte> payload) => new()
    {
        Size = (ulong)payload.Length,
        Sha256 = Convert.ToHexString(SHA256.HashData(payload)).ToLowerInvariant(),
    };

    public static IEnumerable<ByteString> Chunks(byte[] payload, int chunkBytes)
    {
        for (int at = 0; at < payload.Length; at += chunkBytes)
            yield return ByteString.CopyFrom(payload, at, Math.Min(chunkBytes, payload.Length - at));
    }
}
