using FedPrompt.Federation.Messages;
using FedPrompt.Federation.Models;
using FedPrompt.Federation.SecureAggregation;

namespace FedPrompt.Federation.Server;

/// <summary>
/// The server's side of secure aggregation for one training round, after the sites have trained
/// and hold their updates: collect a fresh public key from each (keying), relay the list and sum
/// the pairwise-masked updates (masking). If a listed site drops before its masked update is in,
/// the sum can never be unmasked; the attempt is thrown away and keying starts again with the
/// survivors, at most <see cref="MaxAttempts"/> times. The server only ever holds masked updates and
/// their sum. The workflow asks it for the tasks of the phase and hands it their results; nothing
/// else in the workflow knows the phase's stages.
/// </summary>
public sealed class SecureAggregationPhase(ModelState global, string jobId, int round, int minimumSites, IReadOnlyDictionary<string, long> steps)
{
    public const int MaxAttempts = 3;

    public enum Stage { Keying, Masking, Complete, Failed }

    readonly HashSet<string> _candidates = new(steps.Keys, StringComparer.Ordinal);
    readonly Dictionary<string, SitePublicKey> _keys = new(StringComparer.Ordinal);
    MaskedSum? _sum;

    public Stage Current { get; private set; } = Stage.Keying;
    public int Attempt { get; private set; } = 1;
    public string? Problem { get; private set; }

    /// <summary>The sites whose updates are in the sum, once complete.</summary>
    public IReadOnlyList<string> Participants => _sum?.Participants ?? [];

    /// <summary>The key list every participant masks with, during masking.</summary>
    public IReadOnlyList<SitePublicKey> Keys => _keys.Values.OrderBy(k => k.Site, StringComparer.Ordinal).ToList();

    public bool WantsKeyFrom(string site) => Current == Stage.Keying && _candidates.Contains(site) && !_keys.ContainsKey(site);

    public bool WantsMaskFrom(string site) => Current == Stage.Masking && _sum!.Missing.Contains(site);

    /// <summary>The key or mask task the site owes this attempt, or null.</summary>
    public TaskAssignment? NextTask(string site, string session, TaskBoard board)
    {
        if (WantsKeyFrom(site)) return board.Issue(site, session, SiteTaskKind.SecureKey, round, complete: t => t with { Attempt = Attempt });
        if (!WantsMaskFrom(site)) return null;
        return board.Issue(site, session, SiteTaskKind.SecureMask, round, complete: t => t with { Attempt = Attempt, Participants = Keys.Select(k => new AnnouncedKey(k.Site, k.PublicKey)).ToList() });
    }

    /// <summary>A key or masked update: the reason it is refused (the site is then out of the phase), or null.</summary>
    public string? Accept(string site, SiteResult header, Stream? payload)
    {
        if (header.Attempt != Attempt) return $"the result is for secure aggregation attempt {header.Attempt}; the current one is {Attempt}";
        try
        {
            if (header.Kind == SiteTaskKind.SecureKey) AcceptKey(site, header.PublicKey);
            else AcceptMasked(site, payload ?? throw new InvalidDataException("no masked update in the result"), header.Steps);
            return null;
        }
        catch (Exception e) when (e is InvalidDataException or ArgumentException)
        {
            Drop(site);
            return e.Message;
        }
    }

    void AcceptKey(string site, byte[] publicKey)
    {
        if (!WantsKeyFrom(site)) throw new InvalidDataException($"no key expected from {site} in attempt {Attempt}");
        _keys[site] = new SitePublicKey(site, publicKey);
    }

    void AcceptMasked(string site, Stream payload, long announcedSteps)
    {
        if (!WantsMaskFrom(site)) throw new InvalidDataException($"no masked update expected from {site} in attempt {Attempt}");
        var update = MaskedUpdate.Read(payload, $"{site}'s masked update");
        if (update.Weight != steps[site] || announcedSteps != steps[site])
            throw new InvalidDataException($"the masked update weighs {update.Weight} steps (header {announcedSteps}); {site} trained {steps[site]}");
        _sum!.Add(site, update);
    }

    /// <summary>A site failed its key or mask task, or is gone: it is out of this round's aggregation.</summary>
    public void Drop(string site)
    {
        if (!_candidates.Remove(site)) return;
        if (Current == Stage.Keying) _keys.Remove(site);
        else if (Current == Stage.Masking && _sum!.Missing.Contains(site)) Restart($"{site} dropped before its masked update arrived");
    }

    /// <summary>Moves on when a stage is done: keys in from every candidate → masking; every masked
    /// update in → complete. <paramref name="alive"/> says which candidates can still answer.</summary>
    public void Advance(Func<string, bool> alive)
    {
        foreach (var gone in _candidates.Where(s => !alive(s)).ToList()) Drop(gone);
        if (Current == Stage.Keying && _candidates.All(_keys.ContainsKey))
        {
            if (_keys.Count < Math.Max(2, minimumSites))
                Fail($"{_keys.Count} site(s) left for secure aggregation; it needs at least {Math.Max(2, minimumSites)}");
            else
            {
                _sum = new MaskedSum(global, jobId, round, Keys);
                Current = Stage.Masking;
            }
        }
        else if (Current == Stage.Masking && _sum!.IsComplete) Current = Stage.Complete;
    }

    public ModelState Finish() => Current == Stage.Complete ? _sum!.Finish() : throw new InvalidOperationException($"secure aggregation is {Current}");

    void Restart(string reason)
    {
        if (Attempt == MaxAttempts)
        {
            Fail($"{reason}; no attempt left (of {MaxAttempts})");
            return;
        }
        Attempt++;
        _keys.Clear();
        _sum = null;
        Current = Stage.Keying;
        Problem = reason;
    }

    void Fail(string reason)
    {
        Current = Stage.Failed;
        Problem = reason;
    }
}
