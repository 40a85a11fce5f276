using System.Security.Cryptography;
using System.Text.Json;
using FedPrompt.Federation.Messages;
using FedPrompt.Federation.Models;
using FedPrompt.Federation.Wire;
using FedPrompt.Formats.Checkpoints;

namespace FedPrompt.Federation.Server;

/// <summary>What the sites must agree on before round 0: the base model (architecture and weight
/// fingerprint), the initial encoder (every site builds it from the job's settings and seed, so
/// honest sites build the same bytes) and the answer set.</summary>
public sealed record JobIdentity(string BaseModelJson, string InitialEncoderSha256, IReadOnlyList<string> Answers)
{
    public static string Sha256(ModelState encoder) => Convert.ToHexString(SHA256.HashData(encoder.ToBytes())).ToLowerInvariant();

    /// <summary>By value, the answers included (a record would compare the list by reference).</summary>
    public bool Equals(JobIdentity? other) => other is not null && BaseModelJson == other.BaseModelJson
        && InitialEncoderSha256 == other.InitialEncoderSha256 && Answers.SequenceEqual(other.Answers);

    public override int GetHashCode() => HashCode.Combine(BaseModelJson, InitialEncoderSha256, string.Join("\n", Answers));

    public string Describe() =>
        $"base model {BaseModelJson}, initial encoder SHA-256 {InitialEncoderSha256[..Math.Min(12, InitialEncoderSha256.Length)]}…, answers [{string.Join(",", Answers)}]";
}

/// <summary>A configure result read and checked: the site's report and initial encoder.</summary>
public sealed record SiteConfigured(SiteInfo Info, JobIdentity Identity, ModelState Initial);

/// <summary>
/// The configure step of every site. The job's identity (<see cref="JobIdentity"/>) is never taken
/// from whoever answers first: it is settled once a quorum — a majority of the job's sites, and at
/// least min_clients — proposed the same one, and the quorum's initial encoder becomes the round-0
/// global model. A site whose proposal differs from the settled identity is left out at once, with
/// the difference as the reason, so it is never asked again in a loop; so is one that declares more
/// training examples than the job allows. A site that fails to set up (missing data, settings that
/// do not fit) is asked again, then left out after <see cref="MaxAttempts"/>. Not thread-safe: the
/// workflow's lock guards it.
/// </summary>
public sealed class SiteSetup(IReadOnlyList<string> sites, int minClients, long maxSiteExamples, JobIdentity? settled)
{
    public const int MaxAttempts = 3;

    readonly Dictionary<string, int> _failures = new(StringComparer.Ordinal);
    readonly Dictionary<string, string> _leftOut = new(StringComparer.Ordinal);
    readonly Dictionary<string, SiteConfigured> _proposals = new(StringComparer.Ordinal);
    readonly Dictionary<string, int> _trainExamples = new(StringComparer.Ordinal);

    /// <summary>How many sites must propose the same identity for it to be the job's.</summary>
    public int Quorum { get; } = Math.Max(minClients, sites.Count / 2 + 1);

    /// <summary>The job's identity once a quorum agreed on it (or the job resumed with it); null before.</summary>
    public JobIdentity? Settled { get; private set; } = settled;

    /// <summary>Why the site was left out of the job, or null while it is in.</summary>
    public string? LeftOut(string site) => _leftOut.GetValueOrDefault(site);

    /// <summary>The training examples the site declared when it set up (0 before).</summary>
    public int TrainExamples(string site) => _trainExamples.GetValueOrDefault(site);

    /// <summary>Why the job cannot go on (too few sites are left to reach min_clients, or to agree), or null while it can.</summary>
    public string? CannotGoOn
    {
        get
        {
            int left = sites.Count - _leftOut.Count;
            if (left < minClients || (Settled is null && left < Quorum))
                return $"fewer than {(left < minClients ? $"min_clients {minClients}" : $"the {Quorum} sites that must agree on the job's identity")} sites could set up: "
                    + string.Join("; ", _leftOut.Select(e => $"{e.Key}: {e.Value}"));
            return null;
        }
    }

    /// <summary>The sites' proposals while none has a quorum, for a job that fails waiting for one.</summary>
    public string Proposals() => _proposals.Count == 0 ? "no site has set up"
        : string.Join("; ", _proposals.OrderBy(p => p.Key, StringComparer.Ordinal).Select(p => $"{p.Key}: {p.Value.Identity.Describe()}"));

    /// <summary>The site's set-up failed on the site; after <see cref="MaxAttempts"/> it is left out.</summary>
    /// <returns>True when this failure left the site out.</returns>
    public bool Failed(string site, string error)
    {
        _failures[site] = _failures.GetValueOrDefault(site) + 1;
        if (_failures[site] < MaxAttempts) return false;
        _leftOut[site] = error;
        return true;
    }

    /// <summary>A checked configure result: refused (the site is then left out), or accepted as the
    /// site's proposal. When it completes a quorum, <paramref name="settledNow"/> is the agreed
    /// identity's initial encoder, and <paramref name="dissenters"/> the sites now left out.</summary>
    public string? Offer(string site, SiteConfigured configured, out ModelState? settledNow, out IReadOnlyList<string> dissenters)
    {
        (settledNow, dissenters) = (null, []);
        if (configured.Info.TrainExamples > maxSiteExamples || configured.Info.TrainExamples < 0 || configured.Info.ValidationExamples < 0)
            return LeaveOut(site, $"it declares {configured.Info.TrainExamples:N0} training and {configured.Info.ValidationExamples:N0} validation examples; the job allows 0 to {maxSiteExamples:N0} (max_site_examples)");
        if (Settled is { } identity)
        {
            if (Difference(configured.Identity, identity) is { } difference) return LeaveOut(site, difference);
            _trainExamples[site] = configured.Info.TrainExamples;
            return null;
        }
        _proposals[site] = configured;
        _trainExamples[site] = configured.Info.TrainExamples;
        var agreeing = _proposals.Where(p => p.Value.Identity.Equals(configured.Identity)).Select(p => p.Key).ToList();
        if (agreeing.Count < Quorum) return null;
        Settled = configured.Identity;
        settledNow = configured.Initial;
        var outvoted = new List<string>();
        foreach (var (other, proposal) in _proposals)
            if (Difference(proposal.Identity, configured.Identity) is { } difference)
            {
                LeaveOut(other, $"{difference} (agreed by {string.Join(", ", agreeing)})");
                outvoted.Add(other);
            }
        _proposals.Clear();
        dissenters = outvoted;
        return null;
    }

    string LeaveOut(string site, string reason)
    {
        _leftOut[site] = reason;
        return reason;
    }

    static string? Difference(JobIdentity offered, JobIdentity job)
    {
        if (offered.BaseModelJson != job.BaseModelJson) return $"its base model {offered.BaseModelJson} differs from the job's {job.BaseModelJson}";
        if (offered.InitialEncoderSha256 != job.InitialEncoderSha256 && job.InitialEncoderSha256.Length > 0)
            return $"its initial encoder (SHA-256 {offered.InitialEncoderSha256[..12]}…) differs from the job's ({job.InitialEncoderSha256[..12]}…): are its tuning settings or base model different?";
        if (!offered.Answers.SequenceEqual(job.Answers))
            return $"its answers [{string.Join(",", offered.Answers)}] differ from the job's [{string.Join(",", job.Answers)}] (set \"answers\" in the job's tuning settings if sites' data differ)";
        return null;
    }

    /// <summary>Reads and checks a configure result: the reason it is refused, or what it configures.</summary>
    /// <param name="global">The job's global model, or null before the identity is settled: an encoder must fit it.</param>
    public static (string? Refused, SiteConfigured? Configured) Check(string site, SiteResult header, Stream? payload, ModelState? global)
    {
        SiteInfo info;
        try
        {
            info = JsonSerializer.Deserialize<SiteInfo>(header.SiteInfoJson, JobState.Json) ?? throw new JsonException("empty");
            if (info.BaseModel is null || info.Answers is null || info.Answers.Any(a => a is null)) throw new JsonException("base_model and answers are required");
        }
        catch (JsonException e)
        {
            return ($"unreadable site information: {e.Message}", null);
        }
        if (payload is null) return ("no initial encoder in the configure result", null);
        try
        {
            using var source = SafeTensorsFile.Open(payload, $"{site}'s initial encoder", leaveOpen: true);
            if (global is not null && global.Mismatch(source) is { } mismatch) return ($"its encoder does not fit the job's: {mismatch}", null);
            var initial = ModelState.Read(source);
            var identity = new JobIdentity(JsonSerializer.Serialize(info.BaseModel, JobState.Json), JobIdentity.Sha256(initial),
                info.Answers.Distinct().Order(StringComparer.Ordinal).ToList());
            return (null, new SiteConfigured(info, identity, initial));
        }
        catch (InvalidDataException e)
        {
            return (e.Message, null);
        }
    }
}
