using System.Buffers.Binary;
using System.Security.Cryptography;

namespace FedPrompt.Federation.Privacy;

/// <summary>
/// Independent N(0, σ²) draws from a keyed, counter-based generator: block k of the stream is
/// AES-256 of the counter k under the key (AES in counter mode, as Random123's AES generator), its
/// two 64-bit halves become two uniforms u₁ ∈ (0, 1), u₂ ∈ [0, 1) with 53 random bits each, and the
/// Box–Muller transform turns them into two normals √(−2 ln u₁)·(cos 2πu₂, sin 2πu₂). A cipher
/// rather than a statistical generator because the noise is only as private as it is unpredictable
/// to someone who sees noisy values; counter-based because draw n depends on the key and n alone,
/// so the same key gives the same draws in the same order (bit for bit on a given platform; the
/// last bit of log and sin/cos may differ between platforms' math libraries).
/// Not thread-safe: one stream per consumer.
/// </summary>
public sealed class GaussianNoise : IDisposable
{
    const int BlockBytes = 16;
    const int BlocksPerBatch = 1024;
    const double TwoToMinus53 = 1.0 / (1L << 53);

    readonly Aes _aes = Aes.Create();
    readonly byte[] _counters = new byte[BlocksPerBatch * BlockBytes];
    readonly byte[] _keystream = new byte[BlocksPerBatch * BlockBytes];
    readonly double[] _normals = new double[BlocksPerBatch * 2];
    int _next;
    ulong _block;

    public GaussianNoise(ReadOnlySpan<byte> key)
    {
        if (key.Length != NoiseKey.Length) throw new ArgumentException($"the noise key must be {NoiseKey.Length} bytes (got {key.Length})");
        _aes.Key = key.ToArray();
        _next = _normals.Length;
    }

    /// <summary>Adds σ·N(0, 1) to each value, in order.</summary>
    public void AddTo(Span<float> values, double standardDeviation)
    {
        RequireValid(standardDeviation);
        foreach (ref float value in values) value = (float)(value + standardDeviation * NextStandardNormal());
    }

    /// <inheritdoc cref="AddTo(Span{float}, double)"/>
    public void AddTo(Span<double> values, double standardDeviation)
    {
        RequireValid(standardDeviation);
        foreach (ref double value in values) value += standardDeviation * NextStandardNormal();
    }

    public void Dispose() => _aes.Dispose();

    static void RequireValid(double standardDeviation)
    {
        if (!(standardDeviation >= 0 && double.IsFinite(standardDeviation)))
            throw new ArgumentOutOfRangeException(nameof(standardDeviation), standardDeviation, "the noise's standard deviation must be finite and ≥ 0");
    }

    double NextStandardNormal()
    {
        if (_next == _normals.Length) Refill();
        return _normals[_next++];
    }

    void Refill()
    {
        for (int i = 0; i < BlocksPerBatch; i++)
            BinaryPrimitives.WriteUInt64LittleEndian(_counters.AsSpan(i * BlockBytes), _block++);
        _aes.EncryptEcb(_counters, _keystream, PaddingMode.None);
        for (int i = 0; i < BlocksPerBatch; i++)
        {
            var block = _keystream.AsSpan(i * BlockBytes, BlockBytes);
            double u1 = ((BinaryPrimitives.ReadUInt64LittleEndian(block) >> 11) + 0.5) * TwoToMinus53;
            double u2 = (BinaryPrimitives.ReadUInt64LittleEndian(block[8..]) >> 11) * TwoToMinus53;
            double radius = Math.Sqrt(-2 * Math.Log(u1));
            var (sin, cos) = Math.SinCos(2 * Math.PI * u2);
            _normals[2 * i] = radius * cos;
            _normals[2 * i + 1] = radius * sin;
        }
        _next = 0;
    }
}
