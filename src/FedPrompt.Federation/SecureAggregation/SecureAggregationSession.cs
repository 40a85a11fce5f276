using System.Security.Cryptography;
using FedPrompt.Federation.Models;

namespace FedPrompt.Federation.SecureAggregation;

/// <summary>
/// A site's side of one secure aggregation attempt: the server learns the step-weighted sum of the
/// sites' weight differences, never one site's. Pairwise additive masking after Bonawitz et al.,
/// "Practical Secure Aggregation for Privacy-Preserving Machine Learning" (CCS 2017), semi-honest
/// variant without their secret-shared dropout recovery (see Dropout below).
/// <para><b>Protocol, per round.</b> (1) Each participating site makes a fresh ECDH key pair on
/// P-256 (this session) and sends its <see cref="PublicKey"/> with its name and the round to the
/// server. (2) The server, which only relays public keys and so never learns a pairwise secret, sends
/// the full list of (site, public key) to every participant. (3) Every pair (i, j) derives a shared
/// seed = HKDF-SHA256(raw ECDH secret of i and j, info = job id ‖ round ‖ the two names in ordinal
/// order, each field length-prefixed). A deterministic generator, AES-256 in counter mode keyed with
/// the seed, expands it into a mask m_ij of one 64-bit word per element of the whole update (tensors
/// in ordinal name order). (4) Site i sends y_i = E(w_i·Δ_i) + Σ_{j&gt;i} m_ij − Σ_{j&lt;i} m_ji
/// (mod 2^64, sites ordered by name), where Δ_i is its weight difference, w_i its local optimizer
/// steps and E the fixed-point encoding below; w_i travels in the clear, the server needs Σw for the
/// denominator. (5) The server (<see cref="MaskedSum"/>) adds the y_i modulo 2^64; every m_ij enters
/// once with + and once with −, so the masks cancel and Σ E(w_i·Δ_i) remains, which it decodes and
/// divides by Σ w_i: step-weighted FedAvg. Any proper subset of the y_i still carries the masks
/// shared with the sites outside it, so it is uniformly random to the server.</para>
/// <para><b>Keys are not signed.</b> Sites and server talk over mutual TLS with per-site
/// certificates, so the server knows which site each key came from and no outsider can inject a key.
/// What signing with the site's certificate key (checked by the other sites against the project CA)
/// would add is protection against the server itself substituting keys to learn pairwise masks —
/// an active attack, outside the semi-honest model this implements.</para>
/// <para><b>Encoding and precision.</b> <see cref="FixedPoint"/>: q_i = round(w_i·Δ_i·2^32) as a
/// two's complement word mod 2^64. w_i·Δ_i is formed exactly in float64 (Δ_i is fp32, 24 significant
/// bits, so exact while w_i &lt; 2^29). Range: with N participants a site refuses, with an
/// <see cref="OverflowException"/> naming the tensor and element, any |q_i| &gt; ⌊(2^63 − 1)/N⌋ —
/// |w_i·Δ_i| above about 2^31/N (2.1e8 for 10 sites) — or a non-finite value; so |Σ q_i| &lt; 2^63
/// and the modular sum is the exact integer sum, never a silent wrap-around. Error: rounding gives
/// |q_i·2^-32 − w_i·Δ_i| ≤ 2^-33 per element, so the decoded sum of N sites is within N·2^-33 of
/// Σ w_i·Δ_i, and the mean, divided by W = Σ w_i ≥ N (weights are positive integers), within
/// (N/W)·2^-33 ≤ 2^-33 ≈ 1.2e-10 of the plain step-weighted mean. That is at most half an fp32 ulp
/// for any weight of magnitude ≥ 2^-9; after adding the mean to the global model and rounding to
/// fp32 as FedAvg does, each element differs from plain FedAvg by at most (N/W)·2^-33 plus one fp32
/// ulp (the two may round to neighbouring floats). The price is 8 bytes per element on the wire.</para>
/// <para><b>Dropout.</b> If a site on the key list does not deliver its masked update, the others'
/// masks shared with it do not cancel and the sum cannot be unmasked: <see cref="MaskedSum.Missing"/>
/// names it and <see cref="MaskedSum.Finish"/> refuses. The policy is to restart the round's secure
/// aggregation without it: every survivor makes a new session (new key pair, hence new seeds and
/// masks), the server relays the new list, and the survivors mask their same difference again. The
/// failed attempt reveals nothing: each of its masked updates still carries the masks shared with
/// the missing site, which the server cannot compute. Updates of the failed attempt that arrive late
/// are refused by the new sum (they carry the old list's digest). A server that falsely claimed
/// dropouts could collect sums over two different sets of sites and subtract them; that is an active
/// deviation, outside the semi-honest model (Bonawitz et al. recover from dropouts with Shamir shares
/// of the seeds instead; not implemented here).</para>
/// <para>One session masks one update: its private key is destroyed after <see cref="Mask"/>, since
/// two updates masked with the same masks would give away their difference.</para>
/// </summary>
public sealed class SecureAggregationSession : IDisposable
{
    ECDiffieHellman? _key;

    public SecureAggregationSession(string site, string jobId, int round)
        : this(site, jobId, round, P256Keys.CreateKeyPair())
    {
    }

    /// <summary>With a given key pair, which the session then owns: tests reproduce masks with it.</summary>
    internal SecureAggregationSession(string site, string jobId, int round, ECDiffieHellman key)
    {
        ArgumentException.ThrowIfNullOrEmpty(site);
        Site = site;
        JobId = jobId;
        Round = round;
        _key = key;
        PublicKey = key.ExportSubjectPublicKeyInfo();
    }

    public string Site { get; }
    public string JobId { get; }
    public int Round { get; }

    /// <summary>This attempt's ECDH public key (P-256, DER SubjectPublicKeyInfo), to announce to the server.</summary>
    public byte[] PublicKey { get; }

    /// <summary>Encodes weight·difference and masks it for the key list the server relayed.</summary>
    /// <param name="difference">The site's weight difference (trained minus the round's global model).</param>
    /// <param name="weight">The site's local optimizer steps, ≥ 1.</param>
    /// <param name="participants">Every participant of the attempt with its key, this site included.</param>
    /// <exception cref="OverflowException">A weighted value is outside the fixed-point range or not finite.</exception>
    /// <exception cref="ArgumentException">The list has fewer than two sites, repeats one, or does not carry this session's key for this site.</exception>
    /// <exception cref="InvalidOperationException">The session has already masked an update.</exception>
    public MaskedUpdate Mask(ModelState difference, long weight, IReadOnlyList<SitePublicKey> participants)
    {
        var key = _key ?? throw new InvalidOperationException(
            $"{Site}: this secure aggregation session has already masked an update; a restarted aggregation needs a new session (a new key)");
        ArgumentOutOfRangeException.ThrowIfLessThan(weight, 1);
        var list = new ParticipantList(JobId, Round, participants);
        var self = list.Find(Site) ?? throw new ArgumentException($"{Site} is not on the participant list of job {JobId} round {Round}");
        if (!self.PublicKey.AsSpan().SequenceEqual(PublicKey))
            throw new ArgumentException($"the participant list carries another key for {Site} than this session's: a list of another attempt?");

        long maxEncoded = FixedPoint.MaxEncoded(list.Count);
        var tensors = difference.Tensors.Select(t => new MaskedTensor(t.Name, t.Shape, Encode(t, weight, maxEncoded, list.Count))).ToList();
        var inMaskOrder = tensors.OrderBy(t => t.Name, StringComparer.Ordinal).ToList();
        foreach (var other in list.Sorted.Where(p => p.Site != Site))
        {
            using var otherKey = P256Keys.ImportPublicKey(other.Site, other.PublicKey);
            var seed = PairwiseSeed.Derive(key, otherKey.PublicKey, JobId, Round, Site, other.Site);
            using var mask = new MaskStream(seed);
            CryptographicOperations.ZeroMemory(seed);
            // The lower-named site of the pair adds the mask, the other subtracts it: it cancels in the sum.
            bool adds = string.CompareOrdinal(Site, other.Site) < 0;
            foreach (var tensor in inMaskOrder)
                if (adds) mask.AddTo(tensor.Values);
                else mask.SubtractFrom(tensor.Values);
        }
        Dispose();
        return new MaskedUpdate(Site, JobId, Round, weight, list.Digest, tensors);
    }

    ulong[] Encode(NamedTensor tensor, long weight, long maxEncoded, int participants)
    {
        var words = new ulong[tensor.Values.Length];
        for (int i = 0; i < words.Length; i++)
        {
            double value = weight * (double)tensor.Values[i];
            words[i] = FixedPoint.TryEncode(value, maxEncoded) ?? throw new OverflowException(
                $"{Site}: cannot take part in secure aggregation of job {JobId} round {Round}: {tensor.Name}[{i}] × weight {weight} = {value:G6} " +
                (double.IsFinite(value)
                    ? $"is outside ±{FixedPoint.MaxMagnitude(participants):G6}, the fixed-point range for {participants} participants " +
                      $"(units of 2^-{FixedPoint.FractionBits} in 64 bits, so that the sum of {participants} cannot overflow)"
                    : "is not finite"));
        }
        return words;
    }

    public void Dispose()
    {
        _key?.Dispose();
        _key = null;
    }
}
