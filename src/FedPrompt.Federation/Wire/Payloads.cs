using System.Security.Cryptography;
using FedPrompt.Federation.Messages;

namespace FedPrompt.Federation.Wire;

/// <summary>How payloads are announced and cut for the wire.</summary>
public static class Payloads
{
    public const uint ProtocolVersion = 1;
    /// <summary>64 KiB: below .NET's large-object threshold (85,000 bytes), so the many chunk buffers of
    /// concurrent transfers are short-lived gen-0 garbage instead of piling up on the large-object heap.</summary>
    public const int DefaultChunkBytes = 1 << 16;

    public static PayloadDescription Describe(ReadOnlySpan<byte> payload) =>
        new(payload.Length, Convert.ToHexString(SHA256.HashData(payload)).ToLowerInvariant());

    public static IEnumerable<ReadOnlyMemory<byte>> Chunks(byte[] payload, int chunkBytes)
    {
        for (int at = 0; at < payload.Length; at += chunkBytes)
            yield return payload.AsMemory(at, Math.Min(chunkBytes, payload.Length - at));
    }
}
