using FedPrompt.Federation.Models;

namespace FedPrompt.Federation.SecureAggregation;

/// <summary>
/// The server's side of one secure aggregation attempt (protocol in <see cref="SecureAggregationSession"/>):
/// adds the participants' masked updates modulo 2^64 as they arrive, holding one 64-bit word per
/// model element and never an individual update in the clear, and once every participant is in,
/// unmasks the sum into the step-weighted FedAvg of their differences. Not thread-safe: the caller
/// serialises <see cref="Add"/> and <see cref="Finish"/>, as it does a round's aggregation.
/// </summary>
public sealed class MaskedSum
{
    readonly ModelState _global;
    readonly ParticipantList _participants;
    readonly ulong[][] _sums;
    readonly HashSet<string> _received = new(StringComparer.Ordinal);

    /// <param name="global">The round's global model: the layout updates must have, and what the mean difference is added to.</param>
    /// <param name="participants">The key list exactly as relayed to the sites.</param>
    /// <exception cref="ArgumentException">Fewer than two participants, or one named twice.</exception>
    public MaskedSum(ModelState global, string jobId, int round, IReadOnlyList<SitePublicKey> participants)
    {
        _global = global;
        _participants = new ParticipantList(jobId, round, participants);
        _sums = global.Tensors.Select(t => new ulong[t.Values.Length]).ToArray();
    }

    public IReadOnlyList<string> Participants => _participants.Sorted.Select(p => p.Site).ToList();

    /// <summary>Participants whose masked update has not been added: the sum cannot be unmasked
    /// while any are missing. If they will not come, restart the attempt without them.</summary>
    public IReadOnlyList<string> Missing => Participants.Where(site => !_received.Contains(site)).ToList();

    public bool IsComplete => _received.Count == _participants.Count;

    /// <summary>Σ w of the updates added so far.</summary>
    public long TotalWeight { get; private set; }

    /// <summary>Adds <paramref name="site"/>'s masked update; a refused update leaves the sum as it was.</summary>
    /// <param name="site">The sender as the connection authenticated it (its certificate's name).</param>
    /// <exception cref="ArgumentException">The update is not this attempt's, not from a participant that
    /// has yet to deliver, or not in the global model's layout.</exception>
    public void Add(string site, MaskedUpdate update)
    {
        if (update.Site != site)
            throw new ArgumentException($"{site} sent a masked update made by {update.Site}");
        if (_participants.Find(site) is null)
            throw new ArgumentException($"{site} is not a participant of this secure aggregation ({string.Join(", ", Participants)})");
        if (_received.Contains(site))
            throw new ArgumentException($"{site} has already delivered its masked update");
        if (update.JobId != _participants.JobId || update.Round != _participants.Round)
            throw new ArgumentException(
                $"{site}'s masked update is for job {update.JobId} round {update.Round}, not job {_participants.JobId} round {_participants.Round}");
        if (!update.ParticipantsDigest.AsSpan().SequenceEqual(_participants.Digest))
            throw new ArgumentException($"{site}'s update was masked under another participant list (a stale attempt?): its masks would not cancel");
        if (update.Weight < 1)
            throw new ArgumentException($"{site}'s update has weight {update.Weight}; a weight is a positive number of optimizer steps");
        var tensors = InGlobalOrder(site, update);

        for (int t = 0; t < _sums.Length; t++)
        {
            var sum = _sums[t];
            var values = tensors[t].Values;
            for (int i = 0; i < sum.Length; i++) sum[i] += values[i];
        }
        TotalWeight = checked(TotalWeight + update.Weight);
        _received.Add(site);
    }

    /// <summary>The next global model: the round's global plus Σ w·Δ / Σ w, as FedAvg computes it.</summary>
    /// <exception cref="InvalidOperationException">Some participants are missing: the masks do not cancel yet.</exception>
    public ModelState Finish()
    {
        if (!IsComplete)
            throw new InvalidOperationException(
                $"the secure aggregation of job {_participants.JobId} round {_participants.Round} cannot be unmasked: " +
                $"no masked update from {string.Join(", ", Missing)}; restart it without them (new keys, new masks)");
        return new ModelState(_global.Tensors.Select((t, index) =>
        {
            var sum = _sums[index];
            var next = new float[t.Values.Length];
            for (int i = 0; i < next.Length; i++) next[i] = (float)(t.Values[i] + FixedPoint.Decode(sum[i]) / TotalWeight);
            return t with { Values = next };
        }).ToList());
    }

    /// <summary>The update's tensors in the global model's order, or why they do not match its layout.</summary>
    MaskedTensor[] InGlobalOrder(string site, MaskedUpdate update)
    {
        var byName = update.Tensors.GroupBy(t => t.Name, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.First(), StringComparer.Ordinal);
        var problems = new List<string>();
        if (byName.Count != update.Tensors.Count) problems.Add("a tensor name appears twice");
        var expected = _global.Tensors.Select(t => t.Name).ToHashSet(StringComparer.Ordinal);
        var extra = byName.Keys.Where(name => !expected.Contains(name)).ToList();
        if (extra.Count > 0) problems.Add($"unexpected {string.Join(", ", extra)}");
        var ordered = new MaskedTensor[_global.Tensors.Count];
        for (int t = 0; t < ordered.Length; t++)
        {
            var global = _global.Tensors[t];
            if (!byName.TryGetValue(global.Name, out var tensor)) problems.Add($"missing {global.Name}");
            else if (!tensor.Shape.SequenceEqual(global.Shape) || tensor.Values.Length != global.Values.Length)
                problems.Add($"{tensor.Name}[{string.Join(", ", tensor.Shape)}] where the global model has {global.Describe()}");
            else ordered[t] = tensor;
        }
        if (problems.Count > 0)
            throw new ArgumentException($"{site}'s masked update does not match the global model: {string.Join("; ", problems)}");
        return ordered;
    }
}
