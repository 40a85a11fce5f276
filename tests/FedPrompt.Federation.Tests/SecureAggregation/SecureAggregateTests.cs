using FedPrompt.Federation.Models;
using FedPrompt.Federation.SecureAggregation;

namespace FedPrompt.Federation.Tests.SecureAggregation;

public class SecureAggregateTests
{
    [Theory]
    [InlineData(3, 11, 0f)]
    [InlineData(3, 12, 0.5f)]
    [InlineData(10, 13, 0f)]
    [InlineData(10, 14, 0.5f)]
    public void UnmaskedSumIsTheStepWeightedFedAvgWithinTheQuantisationBound(int siteCount, int seed, float globalMagnitude)
    {
        var sites = MaskedRound.RandomSites(siteCount, seed);
        var global = Updates.Random(new Random(seed + 100), globalMagnitude);

        var secure = MaskedRound.Run(sites).Sum(global).Finish();
        var plain = Updates.PlainFedAvg(global, sites.Select(s => (s.Difference, s.Weight)));

        // (N/W)·2^-33 from the fixed point, one fp32 ulp as the two may round to neighbouring floats,
        // and a trace for float64's own rounding in either sum.
        double bound = siteCount / (double)sites.Sum(s => s.Weight) * Math.Pow(2, -33);
        for (int t = 0; t < global.Tensors.Count; t++)
            for (int i = 0; i < global.Tensors[t].Values.Length; i++)
            {
                float a = secure.Tensors[t].Values[i], b = plain.Tensors[t].Values[i];
                double tolerance = bound + Math.Max(Ulp(a), Ulp(b)) + 1e-15;
                Assert.True(Math.Abs(a - b) <= tolerance, $"{global.Tensors[t].Name}[{i}]: secure {a:R}, plain {b:R}, tolerance {tolerance:G3}");
            }
    }

    /// <summary>The gap from |x| to the next fp32 away from zero.</summary>
    static double Ulp(float x) => (double)MathF.BitIncrement(Math.Abs(x)) - Math.Abs(x);

    [Fact]
    public void TheOrderInWhichUpdatesArriveDoesNotChangeTheResult()
    {
        var round = MaskedRound.Run(MaskedRound.RandomSites(5, 21));
        var global = Updates.Random(new Random(22), 0.5f);
        var reversed = new MaskedSum(global, MaskedRound.Job, MaskedRound.RoundNumber, round.Keys);
        foreach (var update in round.Masked.Reverse()) reversed.Add(update.Site, update);

        var inOrder = round.Sum(global).Finish();
        var inReverse = reversed.Finish();

        for (int t = 0; t < global.Tensors.Count; t++) Assert.Equal(inOrder.Tensors[t].Values, inReverse.Tensors[t].Values);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(-1)]
    public void TheLargestValuesEverySiteMaySendSumWithoutWrappingAround(int sign)
    {
        const int siteCount = 4;
        // The largest fp32 value whose encoding fits, for every site at weight 1: the sum is within
        // a few units of ±2^63, where one unit more would wrap around to the other sign.
        float top = (float)FixedPoint.MaxMagnitude(siteCount);
        while ((long)(top * FixedPoint.Scale) > FixedPoint.MaxEncoded(siteCount)) top = MathF.BitDecrement(top);
        var sites = Enumerable.Range(0, siteCount).Select(i => ($"site-{i}", Updates.Constant(sign * top), 1L)).ToList();

        var result = MaskedRound.Run(sites).Sum(Updates.Zero()).Finish();

        Assert.All(result.Tensors.SelectMany(t => t.Values), v => Assert.Equal(sign * top, v));
    }
}
