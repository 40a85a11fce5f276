using FedPrompt.Federation.Messages;
using FedPrompt.Federation.SecureAggregation;

namespace FedPrompt.Federation.Site;

/// <summary>
/// A site's part in secure aggregation: it holds the round's trained update, makes a fresh key
/// pair for each attempt (key task), and sends the update pre-weighted by its steps and pairwise
/// masked with every participant's key (mask task). The update never leaves the site unmasked.
/// </summary>
public sealed class SecureAggregationTasks(string site)
{
    (string JobId, int Round, TrainOutcome Outcome)? _held;
    SecureAggregationSession? _session;

    public void Hold(string jobId, int round, TrainOutcome outcome) => _held = (jobId, round, outcome);

    public (SiteResult, byte[]?) Key(SiteTask task, byte[]? payload, SiteResult result, CancellationToken cancel)
    {
        _session?.Dispose();
        _session = new SecureAggregationSession(site, task.JobId, task.Round);
        return (result with { Attempt = task.Attempt, PublicKey = _session.PublicKey }, null);
    }

    public (SiteResult, byte[]?) Mask(SiteTask task, byte[]? payload, SiteResult result, CancellationToken cancel)
    {
        if (_held is not { } held || held.JobId != task.JobId || held.Round != task.Round)
            throw new InvalidOperationException($"no update held for job {task.JobId}, round {task.Round} (did this site restart since training?)");
        if (_session is not { } session || session.JobId != task.JobId || session.Round != task.Round)
            throw new InvalidOperationException($"no key pair for job {task.JobId}, round {task.Round}");
        var participants = task.Participants.Select(p => new SitePublicKey(p.Site, p.PublicKey)).ToList();
        var masked = session.Mask(held.Outcome.Difference, held.Outcome.Steps, participants);
        return (result with { Attempt = task.Attempt, Steps = held.Outcome.Steps }, masked.ToBytes());
    }
}
