using FedPrompt.Federation.Jobs;
using FedPrompt.Federation.Server;

namespace FedPrompt.Federation.Tests.Server;

public class SiteSamplingTests
{
    static readonly IReadOnlyList<string> Sites = Enumerable.Range(1, 50).Select(i => $"site-{i}").ToList();

    [Fact]
    public void ARoundDrawsTheSameSitesEveryTimeAndRoundsDrawDifferentOnes()
    {
        var server = new ServerConfig { MinClients = 2, FractionTrain = 0.1 };
        var round3 = SiteSampling.Draw(server, Sites, 3);

        Assert.Equal(5, round3.Count);
        Assert.Equal(round3, SiteSampling.Draw(server, Sites, 3));
        Assert.NotEqual(round3, SiteSampling.Draw(server, Sites, 4));
        Assert.NotEqual(round3, SiteSampling.Draw(server with { SamplingSeed = 7 }, Sites, 3));
        // Over many rounds every site is drawn about as often as the others (10% of 400 rounds = 40).
        var counts = Enumerable.Range(0, 400).SelectMany(r => SiteSampling.Draw(server, Sites, r)).CountBy(s => s).ToDictionary();
        Assert.Equal(50, counts.Count);
        Assert.All(counts.Values, c => Assert.InRange(c, 20, 65));
    }

    [Theory]
    [InlineData(1.0, 0, 2, 50)]
    [InlineData(0.1, 0, 2, 5)]
    [InlineData(0.1, 8, 2, 8)]
    [InlineData(0.01, 0, 3, 3)]
    [InlineData(0.3, 0, 2, 15)]
    public void TheSampleIsTheLargestOfMinClientsMinTrainSitesAndTheFraction(double fraction, int minTrainSites, int minClients, int expected) =>
        Assert.Equal(expected, SiteSampling.Draw(new ServerConfig { MinClients = minClients, FractionTrain = fraction, MinTrainSites = minTrainSites }, Sites, 0).Count);
}
