using FedPrompt.Federation.Models;
using FedPrompt.Federation.SecureAggregation;

namespace FedPrompt.Federation.Tests.SecureAggregation;

/// <summary>One secure aggregation attempt played in-process: every site makes a session, the
/// server relays the keys, every site masks, and the masked updates go through their wire bytes.</summary>
internal sealed record MaskedRound(IReadOnlyList<SitePublicKey> Keys, IReadOnlyList<MaskedUpdate> Masked)
{
    public const string Job = "job-1";
    public const int RoundNumber = 3;

    public static MaskedRound Run(IReadOnlyList<(string Site, ModelState Difference, long Weight)> sites, string job = Job, int round = RoundNumber)
    {
        var sessions = sites.Select(s => new SecureAggregationSession(s.Site, job, round)).ToList();
        var keys = sessions.Select(s => new SitePublicKey(s.Site, s.PublicKey)).ToList();
        var masked = sites.Zip(sessions, (site, session) =>
        {
            using (session)
                return MaskedUpdate.FromBytes(session.Mask(site.Difference, site.Weight, keys).ToBytes(), site.Site);
        }).ToList();
        return new MaskedRound(keys, masked);
    }

    public MaskedSum Sum(ModelState global, string job = Job, int round = RoundNumber)
    {
        var sum = new MaskedSum(global, job, round, Keys);
        foreach (var update in Masked) sum.Add(update.Site, update);
        return sum;
    }

    public static List<(string Site, ModelState Difference, long Weight)> RandomSites(int count, int seed, float magnitude = 0.05f)
    {
        var rng = new Random(seed);
        return Enumerable.Range(0, count).Select(i => ($"site-{i + 1}", Updates.Random(rng, magnitude), (long)rng.Next(1, 500))).ToList();
    }
}
