using FedPrompt.Federation.Privacy;

namespace FedPrompt.Federation.Tests.Privacy;

public sealed class UpdateClipperTests
{
    public static TheoryData<double, double> NormsAroundTheBound()
    {
        var data = new TheoryData<double, double>();
        foreach (double clipNorm in new[] { 0.1, 1.0, 3.7 })
            foreach (double ratio in new[] { 1e-3, 0.5, 0.999, 1.001, 1.5, 10, 1e4 })
                data.Add(clipNorm, ratio);
        return data;
    }

    [Theory]
    [MemberData(nameof(NormsAroundTheBound))]
    public void TheNormAfterClippingIsAtMostTheBoundAndUnclippedUpdatesAreUntouched(double clipNorm, double ratio)
    {
        for (int seed = 0; seed < 20; seed++)
        {
            var update = RandomUpdates.WithNorm(clipNorm * ratio, seed);
            var original = update.Clone();

            var result = UpdateClipper.Clip(update, clipNorm);

            double before = RandomUpdates.UpdateNormInDouble(original), after = RandomUpdates.UpdateNormInDouble(update);
            Assert.Equal(before, result.Norm, before * 1e-12);
            if (before <= clipNorm)
            {
                Assert.False(result.Clipped);
                Assert.Equal(1, result.Scale);
                Assert.All(update.Tensors.Zip(original.Tensors), pair => Assert.Equal(pair.Second.Values, pair.First.Values));
            }
            else
            {
                Assert.True(result.Clipped);
                Assert.True(after <= clipNorm, $"norm {after:R} after clipping to {clipNorm}");
                Assert.True(after >= clipNorm * (1 - 1e-6), $"norm {after:R} after clipping to {clipNorm}: shrunk more than needed");
                // Scaled, not reshaped: every value keeps its share of the update.
                Assert.All(update.Tensors.Zip(original.Tensors), pair =>
                    Assert.All(pair.First.Values.Zip(pair.Second.Values), v => Assert.Equal(v.Second * result.Scale, v.First, Math.Abs(v.Second * result.Scale) * 1e-6)));
            }
        }
    }

    [Fact]
    public void AnUpdateExactlyAtTheBoundIsNotClipped()
    {
        var update = RandomUpdates.WithNorm(1, seed: 3);
        double norm = UpdateClipper.Norm(update);

        Assert.False(UpdateClipper.Clip(update, norm).Clipped);
        Assert.False(UpdateClipper.Clip(RandomUpdates.Zeros(), 1).Clipped);
    }

    [Fact]
    public void NonFiniteUpdatesAreRefusedRatherThanPassedAsUnclipped()
    {
        foreach (float bad in new[] { float.NaN, float.PositiveInfinity })
        {
            var update = RandomUpdates.WithNorm(0.5, seed: 1);
            update.Tensors[2].Values[3] = bad;

            var error = Assert.Throws<ArgumentException>(() => UpdateClipper.Clip(update, 1));
            Assert.Contains("non-finite", error.Message);
        }
    }

    [Fact]
    public void TheClipNormMustBePositiveAndFinite()
    {
        foreach (double bad in new[] { 0, -1, double.NaN, double.PositiveInfinity })
            Assert.Equal("clipNorm", Assert.Throws<ArgumentOutOfRangeException>(() => UpdateClipper.Clip(RandomUpdates.WithNorm(1, seed: 0), bad)).ParamName);
    }
}
