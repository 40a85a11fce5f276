using FedPrompt.Tuning.Data;

namespace FedPrompt.Tuning.Tests.Data;

public sealed class NumPyRandomStateTests
{
    [Fact]
    public void PermutationOfTenWithSeedZeroIsNumPys()
    {
        // np.random.RandomState(0).permutation(10)
        Assert.Equal([2, 8, 4, 9, 1, 6, 7, 3, 0, 5], new NumPyRandomState(0).Permutation(10));
    }

    public static TheoryData<uint> Seeds() => [.. RngReference.Cases("numpy_random_state").Select(c => c.GetProperty("seed").GetUInt32())];

    [Theory]
    [MemberData(nameof(Seeds))]
    public void MatchesNumPyForSeed(uint seed)
    {
        var reference = RngReference.Cases("numpy_random_state").Single(c => c.GetProperty("seed").GetUInt32() == seed);
        var state = new NumPyRandomState(seed);

        Assert.Equal(RngReference.Array<double>(reference, "random_sample3"), Enumerable.Range(0, 3).Select(_ => state.NextDouble()));
        Assert.Equal(RngReference.Array<int>(reference, "permutation10"), state.Permutation(10));
        Assert.Equal(RngReference.Array<int>(reference, "permutation1000_head10"), state.Permutation(1000)[..10]);
    }

    public static TheoryData<uint> DirichletSeeds() => [.. RngReference.Cases("numpy_dirichlet").Select(c => c.GetProperty("seed").GetUInt32())];

    [Theory]
    [MemberData(nameof(DirichletSeeds))]
    public void DirichletMatchesNumPy(uint seed)
    {
        // Covers shape < 1, = 1 and > 1 of the gamma draws, and the cached second normal across calls.
        var reference = RngReference.Cases("numpy_dirichlet").Single(c => c.GetProperty("seed").GetUInt32() == seed);
        double[] alpha = RngReference.Array<double>(reference, "alpha");
        double[][] expected = RngReference.Array<double[]>(reference, "draws");
        var state = new NumPyRandomState(seed);

        foreach (double[] draw in expected)
        {
            Assert.Equal(draw, state.Dirichlet(alpha));
        }
    }

    [Theory]
    [InlineData(0.0)]
    [InlineData(-1.0)]
    [InlineData(double.NaN)]
    [InlineData(double.PositiveInfinity)]
    public void DirichletRefusesInvalidConcentration(double alpha)
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new NumPyRandomState(0).Dirichlet([1.0, alpha]));
    }
}
