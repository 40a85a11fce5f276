namespace FedPrompt.Federation.SecureAggregation;

/// <summary>
/// The fixed-point encoding of secure aggregation: a real x is sent as the integer round(x · 2^32)
/// in two's complement modulo 2^64. Masks cancel exactly only in integer arithmetic, hence integers;
/// 64 bits so that 32 fraction bits (resolution 2^-32 ≈ 2.3e-10, no coarser than fp32 for a weight of
/// magnitude ≥ 2^-9) still leave 31 integer bits for the sum. See
/// <see cref="SecureAggregationSession"/> for the error bound.
/// </summary>
public static class FixedPoint
{
    public const int FractionBits = 32;

    /// <summary>2^32: one unit of the encoding is 1/Scale.</summary>
    public const double Scale = 1L << FractionBits;

    /// <summary>2^63, exactly: every double below it in magnitude converts to a long.</summary>
    const double LongRange = 9223372036854775808.0;

    /// <summary>The largest encoded magnitude one of <paramref name="participants"/> sites may send:
    /// ⌊(2^63 − 1) / N⌋, so that the sum of N such integers never leaves the signed 64-bit range and
    /// the modular sum equals the true sum.</summary>
    public static long MaxEncoded(int participants)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(participants, 1);
        return long.MaxValue / participants;
    }

    /// <summary>The largest |w·Δ| one of <paramref name="participants"/> sites may send, about 2^31 / N.</summary>
    public static double MaxMagnitude(int participants) => MaxEncoded(participants) / Scale;

    /// <summary>round(value · 2^32) (to nearest, ties to even) as a two's complement 64-bit word, or
    /// null when that is not finite or exceeds <paramref name="maxEncoded"/> in magnitude.</summary>
    internal static ulong? TryEncode(double value, long maxEncoded)
    {
        double scaled = Math.Round(value * Scale, MidpointRounding.ToEven);
        // Checked in two steps: the first makes the cast defined (NaN fails it too), the second is exact.
        if (!(Math.Abs(scaled) < LongRange)) return null;
        long encoded = (long)scaled;
        if (encoded > maxEncoded || encoded < -maxEncoded) return null;
        return unchecked((ulong)encoded);
    }

    /// <summary>The real a (sum of) encoded value(s) stands for, reading the word as two's complement.</summary>
    internal static double Decode(ulong encoded) => unchecked((long)encoded) / Scale;
}
