using System.Buffers.Binary;
using System.Runtime.InteropServices;
using System.Security.Cryptography;

namespace FedPrompt.Federation.SecureAggregation;

/// <summary>
/// A pair's mask: the deterministic pseudo-random stream of 64-bit integers that its seed expands
/// to, AES-256 in counter mode. Block b is the encryption of the 128-bit little-endian counter b
/// under the seed, and holds mask elements 2b and 2b+1 (little-endian). .NET has no CTR mode, so the
/// counter blocks are encrypted in batches with ECB — the same thing. Every seed is used for one
/// stream only (a fresh key pair per attempt), so there is no nonce. The stream is consumed in order
/// across calls: the caller walks the update's tensors in one fixed order.
/// </summary>
internal sealed class MaskStream : IDisposable
{
    const int BlockBytes = 16;
    // 64 KiB of keystream per batch: large enough for AES throughput, small enough to stay off the
    // large-object heap.
    const int BlocksPerBatch = 4096;

    readonly Aes _aes = Aes.Create();
    readonly byte[] _counters = new byte[BlocksPerBatch * BlockBytes];
    readonly byte[] _keystream = new byte[BlocksPerBatch * BlockBytes];
    ulong _nextBlock;
    int _used = BlocksPerBatch * BlockBytes / sizeof(ulong);

    public MaskStream(byte[] seed)
    {
        if (seed.Length != PairwiseSeed.Length) throw new ArgumentException($"a mask seed has {PairwiseSeed.Length} bytes, not {seed.Length}");
        _aes.Key = seed;
    }

    /// <summary>values += the next values.Length mask elements (mod 2^64).</summary>
    public void AddTo(Span<ulong> values) => Apply(values, subtract: false);

    /// <summary>values −= the next values.Length mask elements (mod 2^64).</summary>
    public void SubtractFrom(Span<ulong> values) => Apply(values, subtract: true);

    void Apply(Span<ulong> values, bool subtract)
    {
        while (!values.IsEmpty)
        {
            var masks = MemoryMarshal.Cast<byte, ulong>(_keystream.AsSpan());
            if (_used == masks.Length) Refill();
            int count = Math.Min(values.Length, masks.Length - _used);
            var chunk = masks.Slice(_used, count);
            if (subtract)
                for (int i = 0; i < count; i++) values[i] -= chunk[i];
            else
                for (int i = 0; i < count; i++) values[i] += chunk[i];
            _used += count;
            values = values[count..];
        }
    }

    void Refill()
    {
        for (int b = 0; b < BlocksPerBatch; b++)
        {
            var block = _counters.AsSpan(b * BlockBytes, BlockBytes);
            BinaryPrimitives.WriteUInt64LittleEndian(block, _nextBlock + (ulong)b);
        }
        _aes.EncryptEcb(_counters, _keystream, PaddingMode.None);
        _nextBlock += BlocksPerBatch;
        _used = 0;
    }

    public void Dispose()
    {
        CryptographicOperations.ZeroMemory(_keystream);
        _aes.Dispose();
    }
}
