using FedPrompt.Federation.Aggregation;
using FedPrompt.Federation.Jobs;

namespace FedPrompt.Federation.Server;

/// <summary>
/// One round from its start to its close: who has answered, whose results were accepted (and, in a
/// training round without secure aggregation, folded into the strategy as they arrived), what was
/// turned away, and when the round may close. Not thread-safe: the workflow's lock guards it.
/// </summary>
/// <param name="sites">The sites asked this round: the ones drawn for a training round, all the job's for the final validation.</param>
public sealed class RoundInProgress(int number, bool training, IReadOnlyList<string> sites, IRoundAggregation? aggregation, DateTimeOffset started)
{
    readonly Dictionary<string, SiteRecord> _accepted = new(StringComparer.Ordinal);
    readonly HashSet<string> _answered = new(StringComparer.Ordinal);
    readonly List<string> _rejected = [];
    // Why each site that answered is not in the round: what a round that cannot close fails with.
    readonly Dictionary<string, string> _lost = new(StringComparer.Ordinal);
    DateTimeOffset? _minReached;

    public int Number { get; } = number;
    /// <summary>A training round; otherwise the final validation.</summary>
    public bool Training { get; } = training;
    /// <summary>Null in a validation round and when secure aggregation sums the updates instead.</summary>
    public IRoundAggregation? Aggregation { get; } = aggregation;
    public IReadOnlyList<string> Sites { get; } = sites;
    public IReadOnlyDictionary<string, SiteRecord> Accepted => _accepted;
    public IReadOnlyList<string> Rejected => _rejected;
    /// <summary>Set once <see cref="CanClose"/> said yes: the round takes no more tasks or results
    /// while it is aggregated and committed.</summary>
    public bool Closed { get; private set; }
    public string Name => Training ? $"round {Number}" : $"round {Number} (final validation)";

    public bool HasAnswered(string site) => _answered.Contains(site);

    /// <summary>The site's result answers its task this round, whether or not it is accepted:
    /// it is not asked again in this round.</summary>
    public void Answered(string site) => _answered.Add(site);

    public void Accept(SiteRecord record)
    {
        _answered.Add(record.Site);
        _accepted[record.Site] = record;
    }

    public void Refused(string site, string reason)
    {
        _rejected.Add($"{site}: {reason}");
        // The first rejection once the site has answered is the one that answered it; later ones are strays.
        if (_answered.Contains(site) && !_accepted.ContainsKey(site)) _lost.TryAdd(site, reason);
    }

    /// <summary>Not a site's fault (secure aggregation failed): recorded with the round.</summary>
    public void Note(string problem) => _rejected.Add(problem);

    /// <summary>
    /// Whether the round can close now: min_clients accepted and every live site answered, or
    /// wait_time_after_min_received passed since min_clients were in, or train_timeout expired.
    /// Throws <see cref="JobStopping"/> when it never can: every site answered (none is asked again)
    /// or train_timeout expired with fewer than min_clients accepted.
    /// </summary>
    /// <param name="leftOut">Why a site was left out of the job, or null for a site in it.</param>
    public bool CanClose(ServerConfig server, Func<string, bool> alive, Func<string, string?> leftOut, DateTimeOffset now)
    {
        int accepted = _accepted.Count;
        if (accepted >= server.MinClients) _minReached ??= now;
        bool timedOut = TimeoutAt(server) is { } timeout && now >= timeout;
        if (accepted >= server.MinClients)
        {
            bool everyLiveSiteAnswered = Sites.All(s => _answered.Contains(s) || !alive(s) || leftOut(s) is not null);
            if (everyLiveSiteAnswered || now >= WaitedAt(server) || timedOut) return Closed = true;
        }
        // A site gone without answering may come back and answer; one that answered is not asked again this round.
        if (Sites.All(s => _answered.Contains(s) || leftOut(s) is not null))
            throw new JobStopping(JobStatuses.Failed, $"{Name}: {accepted} of min_clients {server.MinClients} results, no site left to answer; "
                + string.Join("; ", Sites.Where(s => !_accepted.ContainsKey(s)).Select(s => $"{s}: {(leftOut(s) is { } why ? $"left out: {why}" : _lost[s])}")));
        if (timedOut)
            throw new JobStopping(JobStatuses.Failed, $"round {Number}: {accepted} of min_clients {server.MinClients} results within train_timeout {server.TrainTimeout} s");
        return false;
    }

    /// <summary>When <see cref="CanClose"/> may next change its answer without a result arriving.</summary>
    public DateTimeOffset? NextDeadline(ServerConfig server) => new[] { TimeoutAt(server), WaitedAt(server) }.Min();

    DateTimeOffset? TimeoutAt(ServerConfig server) => server.TrainTimeout > 0 ? started + TimeSpan.FromSeconds(server.TrainTimeout) : null;

    DateTimeOffset? WaitedAt(ServerConfig server) => _minReached + TimeSpan.FromSeconds(server.WaitTimeAfterMinReceived);
}

/// <summary>Why the workflow stops before its last round: thrown where the reason is found, caught where the job ends.</summary>
public sealed class JobStopping(string status, string reason) : Exception(reason)
{
    public string Status { get; } = status;
}
