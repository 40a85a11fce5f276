using FedPrompt.Federation.SecureAggregation;

namespace FedPrompt.Federation.Tests.SecureAggregation;

public class FixedPointTests
{
    static readonly double HalfUnit = Math.Pow(2, -33);

    [Theory]
    [InlineData(3)]
    [InlineData(10)]
    [InlineData(100)]
    public void TheDecodedSumOfNSitesIsWithinNHalfUnitsOfTheExactSum(int siteCount)
    {
        // Values on a 2^-40 grid (exact in fp32 and float64, and finer than the 2^-32 encoding, so every
        // one is rounded), weighted by integer steps: their float64 sums are exact and serve as truth.
        var rng = new Random(siteCount);
        long maxEncoded = FixedPoint.MaxEncoded(siteCount);
        double worst = 0;
        for (int element = 0; element < 2000; element++)
        {
            ulong sum = 0;
            double exact = 0;
            for (int site = 0; site < siteCount; site++)
            {
                double value = rng.Next(1, 1000) * (double)(float)(rng.Next(-(1 << 23), 1 << 23) * Math.Pow(2, -40));
                var encoded = FixedPoint.TryEncode(value, maxEncoded)!.Value;
                Assert.True(Math.Abs(FixedPoint.Decode(encoded) - value) <= HalfUnit);
                sum += encoded;
                exact += value;
            }
            double error = Math.Abs(FixedPoint.Decode(sum) - exact);
            Assert.True(error <= siteCount * HalfUnit, $"error {error:G3} exceeds {siteCount}·2^-33");
            worst = Math.Max(worst, error);
        }
        Assert.True(worst > 0, "no value was rounded: the test would prove nothing");
    }

    [Fact]
    public void TheRangeShrinksWithTheNumberOfParticipantsSoTheirSumFitsIn63Bits()
    {
        Assert.Equal(long.MaxValue, FixedPoint.MaxEncoded(1));
        Assert.Equal(long.MaxValue / 10, FixedPoint.MaxEncoded(10));
        Assert.InRange(FixedPoint.MaxMagnitude(10), 2.147e8, 2.148e8);
        foreach (int n in new[] { 2, 3, 7, 1000 })
            Assert.True((Int128)FixedPoint.MaxEncoded(n) * n <= long.MaxValue);
    }

    [Fact]
    public void ValuesBeyondTheRangeAndNonFiniteValuesAreRefusedNotWrapped()
    {
        long maxEncoded = FixedPoint.MaxEncoded(3);
        // The largest and smallest doubles whose encodings are within range, and their neighbours outward.
        double top = maxEncoded / FixedPoint.Scale;
        while ((long)Math.Round(top * FixedPoint.Scale) > maxEncoded) top = Math.BitDecrement(top);

        Assert.Equal((ulong)(long)(top * FixedPoint.Scale), FixedPoint.TryEncode(top, maxEncoded));
        Assert.Equal(unchecked((ulong)-(long)(top * FixedPoint.Scale)), FixedPoint.TryEncode(-top, maxEncoded));
        Assert.Null(FixedPoint.TryEncode(Math.BitIncrement(top), maxEncoded));
        Assert.Null(FixedPoint.TryEncode(-Math.BitIncrement(top), maxEncoded));
        Assert.Null(FixedPoint.TryEncode(1e300, FixedPoint.MaxEncoded(1)));
        Assert.Null(FixedPoint.TryEncode(double.NaN, maxEncoded));
        Assert.Null(FixedPoint.TryEncode(double.PositiveInfinity, maxEncoded));
        Assert.Null(FixedPoint.TryEncode(double.NegativeInfinity, maxEncoded));
    }

    [Fact]
    public void NegativeValuesAreTwosComplementWords()
    {
        Assert.Equal(ulong.MaxValue, FixedPoint.TryEncode(-1 / FixedPoint.Scale, long.MaxValue));
        Assert.Equal(-1.5, FixedPoint.Decode(FixedPoint.TryEncode(-1.5, long.MaxValue)!.Value));
    }
}
