using FedPrompt.Federation.Models;
using FedPrompt.Federation.SecureAggregation;

namespace FedPrompt.Federation.Tests.SecureAggregation;

public class OverflowTests
{
    [Fact]
    public void AWeightedValueOutsideTheRangeForTheParticipantsIsRefusedNamingTheElement()
    {
        var difference = Updates.Zero();
        var tensor = difference.Tensors[2];
        // 3e5 × 1000 steps = 3e8: inside ±2.1e9 for two sites, outside ±2.1e8 for ten.
        tensor.Values[17] = 3e5f;

        var twoSites = Attempt(difference, 1000, siteCount: 2);
        var tenSites = Assert.Throws<OverflowException>(() => Attempt(difference, 1000, siteCount: 10));

        Assert.NotNull(twoSites);
        Assert.Contains($"{tensor.Name}[17]", tenSites.Message);
        Assert.Contains("10 participants", tenSites.Message);
        Assert.Contains("site-0", tenSites.Message);
    }

    [Theory]
    [InlineData(float.NaN)]
    [InlineData(float.PositiveInfinity)]
    public void ANonFiniteDifferenceIsRefused(float value)
    {
        var difference = Updates.Zero();
        difference.Tensors[0].Values[5] = value;

        var error = Assert.Throws<OverflowException>(() => Attempt(difference, 1, siteCount: 3));

        Assert.Contains($"{difference.Tensors[0].Name}[5]", error.Message);
        Assert.Contains("not finite", error.Message);
    }

    /// <summary>Site 0 masks <paramref name="difference"/> among <paramref name="siteCount"/> participants.</summary>
    static MaskedUpdate Attempt(ModelState difference, long weight, int siteCount)
    {
        var sessions = Enumerable.Range(0, siteCount).Select(i => new SecureAggregationSession($"site-{i}", "job", 0)).ToList();
        var keys = sessions.Select(s => new SitePublicKey(s.Site, s.PublicKey)).ToList();
        try
        {
            return sessions[0].Mask(difference, weight, keys);
        }
        finally
        {
            sessions.ForEach(s => s.Dispose());
        }
    }
}
