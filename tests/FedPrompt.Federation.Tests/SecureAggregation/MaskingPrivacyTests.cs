using FedPrompt.Federation.Models;
using FedPrompt.Federation.SecureAggregation;

namespace FedPrompt.Federation.Tests.SecureAggregation;

/// <summary>What the server receives is masked: no single update, and no sum over a proper subset of
/// the sites, is readable; only the sum over all of them is.</summary>
public class MaskingPrivacyTests
{
    [Fact]
    public void WhatReachesTheServerDiffersFromTheEncodedUpdateEverywhereAndLooksUniform()
    {
        var sites = MaskedRound.RandomSites(4, 31);
        var round = MaskedRound.Run(sites);

        foreach (var (site, masked) in sites.Zip(round.Masked))
        {
            var encoded = Encoded(site.Difference, site.Weight, sites.Count);
            var words = Updates.Words(masked).ToList();
            Assert.Equal(encoded.Count, words.Count);
            // Two words agree with probability 2^-64 each, so not even one should.
            Assert.DoesNotContain(true, encoded.Zip(words, (e, w) => e == w));
            Uniformity.AssertLooksUniform(words);
        }
    }

    [Fact]
    public void EvenAnAllZeroUpdateArrivesAsUniformNoise()
    {
        var sites = Enumerable.Range(0, 3).Select(i => ($"site-{i}", Updates.Zero(), 10L)).ToList();

        var round = MaskedRound.Run(sites);

        foreach (var masked in round.Masked) Uniformity.AssertLooksUniform(Updates.Words(masked).ToList());
    }

    [Fact]
    public void MasksCancelOverAllSitesAndOverNoProperSubset()
    {
        var sites = MaskedRound.RandomSites(4, 32);
        var round = MaskedRound.Run(sites);
        // Each site's mask: what it sent minus its encoded update.
        var masks = sites.Zip(round.Masked, (site, masked) =>
            Encoded(site.Difference, site.Weight, sites.Count).Zip(Updates.Words(masked), (e, w) => w - e).ToArray()).ToList();

        for (int subset = 1; subset < 1 << sites.Count; subset++)
        {
            var total = new ulong[masks[0].Length];
            for (int s = 0; s < sites.Count; s++)
                if ((subset & (1 << s)) != 0)
                    for (int i = 0; i < total.Length; i++) total[i] += masks[s][i];
            bool everySite = subset == (1 << sites.Count) - 1;
            if (everySite) Assert.All(total, word => Assert.Equal(0UL, word));
            else
            {
                Assert.DoesNotContain(0UL, total);
                Uniformity.AssertLooksUniform(total);
            }
        }
    }

    /// <summary>The site's w·Δ in fixed point, in the order the masked update lists its words.</summary>
    static List<ulong> Encoded(ModelState difference, long weight, int participants) =>
        difference.Tensors.SelectMany(t => t.Values)
            .Select(v => FixedPoint.TryEncode(weight * (double)v, FixedPoint.MaxEncoded(participants))!.Value).ToList();
}
