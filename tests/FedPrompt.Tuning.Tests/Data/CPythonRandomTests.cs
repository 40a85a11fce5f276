using FedPrompt.Tuning.Data;

namespace FedPrompt.Tuning.Tests.Data;

public sealed class CPythonRandomTests
{
    [Fact]
    public void Seed1234GivesPythonsFirstWords()
    {
        // random.seed(1234); [random.getrandbits(32) for _ in range(3)]
        var random = new CPythonRandom(1234);

        Assert.Equal([4150886329u, 3342196574u, 1892932127u], new[] { random.GetRandBits(32), random.GetRandBits(32), random.GetRandBits(32) });
    }

    public static TheoryData<long> Seeds() => [.. RngReference.Cases("cpython_random").Select(c => c.GetProperty("seed").GetInt64())];

    [Theory]
    [MemberData(nameof(Seeds))]
    public void MatchesPythonForSeed(long seed)
    {
        var reference = RngReference.Cases("cpython_random").Single(c => c.GetProperty("seed").GetInt64() == seed);
        var random = new CPythonRandom(seed);

        Assert.Equal(RngReference.Array<uint>(reference, "getrandbits32"), Enumerable.Range(0, 5).Select(_ => random.GetRandBits(32)));
        Assert.Equal(
            RngReference.Array<int>(reference, "randbelow_1_2_3_10_1000_2pow31minus1"),
            new[] { 1, 2, 3, 10, 1000, int.MaxValue }.Select(random.RandBelow));
        var items = Enumerable.Range(0, 20).ToList();
        random.Shuffle(items);
        Assert.Equal(RngReference.Array<int>(reference, "shuffle_range20"), items);
    }

    [Fact]
    public void NegativeSeedActsAsItsAbsoluteValue()
    {
        Assert.Equal(new CPythonRandom(1234).GetRandBits(32), new CPythonRandom(-1234).GetRandBits(32));
        Assert.Equal(new CPythonRandom(long.MaxValue).GetRandBits(32), new CPythonRandom(long.MinValue + 1).GetRandBits(32));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(33)]
    public void GetRandBitsRefusesWidthsOutsideOneWord(int bitCount)
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new CPythonRandom(0).GetRandBits(bitCount));
    }
}
