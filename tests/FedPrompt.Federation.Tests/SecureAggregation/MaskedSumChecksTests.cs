using FedPrompt.Federation.Models;
using FedPrompt.Federation.SecureAggregation;

namespace FedPrompt.Federation.Tests.SecureAggregation;

/// <summary>The server refuses what does not belong in the sum, and a refusal leaves the sum intact.</summary>
public class MaskedSumChecksTests
{
    readonly List<(string Site, ModelState Difference, long Weight)> _sites = MaskedRound.RandomSites(3, 51);
    readonly MaskedRound _round;
    readonly MaskedSum _sum;

    public MaskedSumChecksTests()
    {
        _round = MaskedRound.Run(_sites);
        _sum = new MaskedSum(Updates.Zero(), MaskedRound.Job, MaskedRound.RoundNumber, _round.Keys);
    }

    MaskedUpdate Update(string site) => _round.Masked.Single(u => u.Site == site);

    static MaskedUpdate With(MaskedUpdate update, string? site = null, string? job = null, int? round = null, long? weight = null,
        IReadOnlyList<MaskedTensor>? tensors = null) =>
        new(site ?? update.Site, job ?? update.JobId, round ?? update.Round, weight ?? update.Weight, update.ParticipantsDigest, tensors ?? update.Tensors);

    [Fact]
    public void RefusesAnUpdateSentUnderAnotherSitesName() =>
        Refused("site-2", Update("site-1"), "made by site-1");

    [Fact]
    public void RefusesANonParticipant() =>
        Refused("site-9", With(Update("site-1"), site: "site-9"), "not a participant");

    [Fact]
    public void RefusesASecondUpdateFromTheSameSite()
    {
        _sum.Add("site-1", Update("site-1"));
        Refused("site-1", Update("site-1"), "already delivered");
    }

    [Fact]
    public void RefusesAnUpdateOfAnotherRoundOrJob()
    {
        Refused("site-1", With(Update("site-1"), round: MaskedRound.RoundNumber + 1), "round 4");
        Refused("site-1", With(Update("site-1"), job: "job-2"), "job job-2");
    }

    [Fact]
    public void RefusesAnUpdateWithoutAPositiveWeight() =>
        Refused("site-1", With(Update("site-1"), weight: 0), "weight 0");

    [Fact]
    public void RefusesAnUpdateInAnotherLayout()
    {
        var update = Update("site-1");
        Refused("site-1", With(update, tensors: update.Tensors.Skip(1).ToList()), $"missing {update.Tensors[0].Name}");
        var reshaped = update.Tensors.Select((t, i) => i == 0 ? t with { Shape = [t.Values.Length] } : t).ToList();
        Refused("site-1", With(update, tensors: reshaped), "where the global model has");
        var renamed = update.Tensors.Select((t, i) => i == 0 ? t with { Name = "extra" } : t).ToList();
        Refused("site-1", With(update, tensors: renamed), "unexpected extra");
    }

    [Fact]
    public void ARefusedUpdateLeavesTheSumAsItWas()
    {
        RefusesAnUpdateInAnotherLayout();
        RefusesAnUpdateOfAnotherRoundOrJob();
        foreach (var update in _round.Masked) _sum.Add(update.Site, update);

        var expected = Updates.PlainFedAvg(Updates.Zero(), _sites.Select(s => (s.Difference, s.Weight)));
        var result = _sum.Finish();

        Assert.Equal(_sites.Sum(s => s.Weight), _sum.TotalWeight);
        for (int t = 0; t < expected.Tensors.Count; t++)
            for (int i = 0; i < expected.Tensors[t].Values.Length; i++)
                Assert.True(Math.Abs(result.Tensors[t].Values[i] - expected.Tensors[t].Values[i]) <= 1e-8);
    }

    void Refused(string site, MaskedUpdate update, string reason)
    {
        var missing = _sum.Missing;
        var error = Assert.Throws<ArgumentException>(() => _sum.Add(site, update));
        Assert.Contains(reason, error.Message);
        Assert.Equal(missing, _sum.Missing);
    }
}
