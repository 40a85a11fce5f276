using System.Security.Cryptography;

namespace FedPrompt.Federation.SecureAggregation;

/// <summary>
/// The key list of one secure aggregation attempt, as the sites mask against it and the server sums
/// under it: sorted by site name (ordinal), which fixes each pair's mask sign, and summarised by a
/// digest over the job, the round and every (site, key). A masked update carries the digest of the
/// list its site used, so an update masked under another list — a stale attempt, or a list the
/// server relayed differently to different sites — is refused instead of silently failing to unmask.
/// </summary>
internal sealed class ParticipantList
{
    /// <summary>With one participant there are no masks and the "sum" is that site's update.</summary>
    public const int MinimumCount = 2;

    public ParticipantList(string jobId, int round, IReadOnlyList<SitePublicKey> participants)
    {
        if (participants.Count < MinimumCount)
            throw new ArgumentException(
                $"secure aggregation needs at least {MinimumCount} participants, got {participants.Count}: with one, its sum is that site's update");
        var duplicates = participants.GroupBy(p => p.Site, StringComparer.Ordinal).Where(g => g.Count() > 1).Select(g => g.Key).ToList();
        if (duplicates.Count > 0)
            throw new ArgumentException($"the participant list names {string.Join(", ", duplicates)} more than once");
        JobId = jobId;
        Round = round;
        Sorted = participants.OrderBy(p => p.Site, StringComparer.Ordinal).ToList();
        var fields = new FieldEncoder().Add("fedprompt/secure-aggregation/v1/participants").Add(jobId).Add(round).Add(Sorted.Count);
        foreach (var participant in Sorted) fields.Add(participant.Site).Add(participant.PublicKey);
        Digest = SHA256.HashData(fields.ToArray());
    }

    public string JobId { get; }
    public int Round { get; }
    public IReadOnlyList<SitePublicKey> Sorted { get; }
    public int Count => Sorted.Count;
    public byte[] Digest { get; }

    public SitePublicKey? Find(string site) => Sorted.FirstOrDefault(p => p.Site == site);
}
