using FedPrompt.Federation.SecureAggregation;

namespace FedPrompt.Federation.Tests.SecureAggregation;

public class DropoutTests
{
    [Fact]
    public void ASiteThatMaskedButNeverDeliveredIsReportedMissingAndTheSumCannotBeFinished()
    {
        var sites = MaskedRound.RandomSites(4, 41);
        var round = MaskedRound.Run(sites);
        var sum = new MaskedSum(Updates.Zero(), MaskedRound.Job, MaskedRound.RoundNumber, round.Keys);

        foreach (var update in round.Masked.Where(u => u.Site != "site-3")) sum.Add(update.Site, update);

        Assert.False(sum.IsComplete);
        Assert.Equal(["site-3"], sum.Missing);
        var error = Assert.Throws<InvalidOperationException>(() => sum.Finish());
        Assert.Contains("site-3", error.Message);
        Assert.Contains("restart", error.Message);
    }

    [Fact]
    public void TheSurvivorsUpdatesOfTheFailedAttemptSumToNoise()
    {
        var round = MaskedRound.Run(MaskedRound.RandomSites(4, 42));

        // Their masks shared with the missing site do not cancel; had they, this would be the
        // survivors' fixed-point sum, whose high bits are all 0 or all 1 — far from uniform.
        var partial = new ulong[Updates.Words(round.Masked[0]).Count()];
        foreach (var update in round.Masked.Take(3))
        {
            var words = Updates.Words(update).ToArray();
            for (int i = 0; i < partial.Length; i++) partial[i] += words[i];
        }

        Uniformity.AssertLooksUniform(partial);
    }

    [Fact]
    public void ARestartWithoutTheMissingSiteGivesTheFedAvgOfTheSurvivors()
    {
        var sites = MaskedRound.RandomSites(4, 43);
        var global = Updates.Random(new Random(44), 0.5f);
        var first = MaskedRound.Run(sites);
        var failed = new MaskedSum(global, MaskedRound.Job, MaskedRound.RoundNumber, first.Keys);
        foreach (var update in first.Masked.Take(3)) failed.Add(update.Site, update);
        var survivors = sites.Where(s => failed.Missing.All(m => m != s.Site)).ToList();

        // New sessions, new keys, new masks, the same differences.
        var restart = MaskedRound.Run(survivors);
        var sum = restart.Sum(global);
        var result = sum.Finish();

        Assert.Equal(["site-1", "site-2", "site-3"], sum.Participants);
        var expected = Updates.PlainFedAvg(global, survivors.Select(s => (s.Difference, s.Weight)));
        for (int t = 0; t < global.Tensors.Count; t++)
            for (int i = 0; i < global.Tensors[t].Values.Length; i++)
                Assert.True(Math.Abs(result.Tensors[t].Values[i] - expected.Tensors[t].Values[i]) <= 1e-7);
    }

    [Fact]
    public void ALateUpdateOfTheFailedAttemptIsRefusedByTheRestartedSum()
    {
        var sites = MaskedRound.RandomSites(3, 45);
        var first = MaskedRound.Run(sites);
        var restart = MaskedRound.Run(sites.Take(2).ToList());
        var sum = new MaskedSum(Updates.Zero(), MaskedRound.Job, MaskedRound.RoundNumber, restart.Keys);

        var stale = first.Masked[0];
        var error = Assert.Throws<ArgumentException>(() => sum.Add(stale.Site, stale));

        Assert.Contains("another participant list", error.Message);
        Assert.Equal(["site-1", "site-2"], sum.Missing);
    }
}
