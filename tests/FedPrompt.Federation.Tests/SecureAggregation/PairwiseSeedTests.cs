using System.Security.Cryptography;
using FedPrompt.Federation.SecureAggregation;

namespace FedPrompt.Federation.Tests.SecureAggregation;

public class PairwiseSeedTests
{
    readonly ECDiffieHellman _a = ECDiffieHellman.Create(ECCurve.NamedCurves.nistP256);
    readonly ECDiffieHellman _b = ECDiffieHellman.Create(ECCurve.NamedCurves.nistP256);
    readonly ECDiffieHellman _c = ECDiffieHellman.Create(ECCurve.NamedCurves.nistP256);

    static byte[] Seed(ECDiffieHellman own, ECDiffieHellman other, string site, string otherSite, string job = "job", int round = 1) =>
        PairwiseSeed.Derive(own, other.PublicKey, job, round, site, otherSite);

    [Fact]
    public void BothSitesOfAPairDeriveTheSameSeed()
    {
        Assert.Equal(Seed(_a, _b, "A", "B"), Seed(_b, _a, "B", "A"));
        Assert.Equal(PairwiseSeed.Length, Seed(_a, _b, "A", "B").Length);
    }

    [Fact]
    public void SeedsDifferPerPairPerRoundAndPerJob()
    {
        var seeds = new[]
        {
            Seed(_a, _b, "A", "B"),
            Seed(_a, _c, "A", "C"),
            Seed(_b, _c, "B", "C"),
            Seed(_a, _b, "A", "B", round: 2),
            Seed(_a, _b, "A", "B", job: "other-job"),
        };

        Assert.Equal(seeds.Length, seeds.Select(Convert.ToHexString).Distinct().Count());
    }

    [Fact]
    public void ECDHWithAnotherSitesKeyGivesADifferentSeed()
    {
        // A takes C's key for B's: it cannot share B's seed, and neither can C, who is not B.
        Assert.NotEqual(Seed(_a, _b, "A", "B"), Seed(_a, _c, "A", "B"));
        Assert.NotEqual(Seed(_b, _a, "B", "A"), Seed(_c, _a, "B", "A"));
    }

    [Fact]
    public void TheSameKeysUnderOtherNamesGiveAnotherSeed()
    {
        Assert.NotEqual(Seed(_a, _b, "A", "B"), Seed(_a, _b, "A", "X"));
        // Length-prefixed fields: "ab" ‖ "c" is not "a" ‖ "bc".
        Assert.NotEqual(Seed(_a, _b, "ab", "c"), Seed(_a, _b, "a", "bc"));
    }
}
