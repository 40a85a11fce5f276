using FedPrompt.Federation.Messages;
using FedPrompt.Formats.Checkpoints;
using Microsoft.Extensions.Logging;

namespace FedPrompt.Federation.Server;

/// <summary>A job's results coming in, on the transport's threads: each checked against the task it
/// answers (<see cref="ResultChecks"/> holds the reasons) and taken into the set-up, the round or
/// the secure-aggregation phase, under the workflow's lock; the workflow is woken after each.</summary>
public sealed partial class JobWorkflow
{
    /// <summary>Checks a result against the task it answers and takes it in. The payload (already
    /// size- and checksum-verified) is a safetensors stream, or null.</summary>
    /// <param name="uploadProblem">Why the payload could not be received (too large, checksum…): the
    /// result still answers the site's task, which then loses its round.</param>
    public ResultVerdict Accept(string site, SiteResult header, Stream? payload, string? uploadProblem = null)
    {
        try
        {
            lock (_gate)
            {
                var refused = Take(site, header, payload, uploadProblem);
                if (refused is not null) Refused(site, header.Round, refused);
                else _audit.Record(site, $"{header.Kind.ToString().ToLowerInvariant()} result accepted", JobId, header.Round,
                    header.Kind == SiteTaskKind.Train ? $"{header.Steps} steps" : null);
                return refused is null ? ResultVerdict.Yes : ResultVerdict.No(refused);
            }
        }
        finally
        {
            Wake();
        }
    }

    void Refused(string site, int round, string reason)
    {
        _log.LogWarning("job {Job}: rejected a result from {Site} (round {Round}): {Reason}", JobId, site, round, reason);
        _audit.Record(site, "result rejected", JobId, round, reason);
        // Recorded with the round in progress, whatever round the result claimed.
        _round?.Refused(site, reason);
    }

    /// <returns>Why the result is refused, or null when it is taken in.</returns>
    string? Take(string site, SiteResult header, Stream? payload, string? uploadProblem)
    {
        if (ResultChecks.Addressing(header, JobId, _job.Meta.Sites, site, _over, _state.NextRound, _round) is { } misaddressed) return misaddressed;
        if (_board.Take(site, header.TaskId) is not { } task) return ResultChecks.StaleTask(header, site);
        if (header.Failed || uploadProblem is not null)
        {
            if (header.Kind == SiteTaskKind.Configure) SetupFailed(site, header.Error);
            else if (header.Kind is SiteTaskKind.SecureKey or SiteTaskKind.SecureMask) _secure?.Drop(site);
            else _round?.Answered(site);
            return uploadProblem ?? $"the site's task failed: {header.Error}";
        }
        return header.Kind switch
        {
            SiteTaskKind.Configure => TakeConfigure(site, task.Session, header, payload),
            SiteTaskKind.Train => TakeUpdate(site, header, payload),
            SiteTaskKind.Validate => TakeValidation(site, header),
            SiteTaskKind.SecureKey or SiteTaskKind.SecureMask => _secure is null ? "no secure aggregation is under way" : _secure.Accept(site, header, payload),
            _ => $"unknown task kind {header.Kind}",
        };
    }

    string? TakeValidation(string site, SiteResult header)
    {
        if (_round is not { Training: false, Closed: false } round) return "no validation round is open";
        round.Answered(site);
        return ResultChecks.Metrics(header.Metrics) ?? Took(round, new SiteRecord(site, 0, new Dictionary<string, double>(header.Metrics)));
    }

    static string? Took(RoundInProgress round, SiteRecord record)
    {
        round.Accept(record);
        return null;
    }

    void SetupFailed(string site, string error)
    {
        if (_setup.Failed(site, error)) LeftOut(site, $"{SiteSetup.MaxAttempts} failed set-ups, the last: {error}");
    }

    string? TakeConfigure(string site, string session, SiteResult header, Stream? payload)
    {
        var (unreadable, configured) = SiteSetup.Check(site, header, payload, _global);
        if (unreadable is not null)
        {
            SetupFailed(site, unreadable);
            return unreadable;
        }
        if (_setup.Offer(site, configured!, out var initial, out var outvoted) is { } refused)
        {
            LeftOut(site, refused);
            return refused;
        }
        foreach (var other in outvoted) LeftOut(other, _setup.LeftOut(other)!);
        _board.Configured(site, session);
        if (initial is not null)
        {
            _state = _committer.Settled(_state, _setup.Settled!, initial);
            SetGlobal(initial);
            _log.LogInformation("job {Job}: {Count} sites agreed on the job's identity: {Identity}", JobId, _setup.Quorum, _setup.Settled!.Describe());
        }
        _log.LogInformation("job {Job}: {Site} configured ({Train} training, {Validation} validation examples)", JobId, site, configured!.Info.TrainExamples, configured.Info.ValidationExamples);
        return null;
    }

    void LeftOut(string site, string reason)
    {
        _board.Forget(site);
        _audit.Record(site, "excluded from job", JobId, detail: reason);
        _log.LogWarning("job {Job}: {Site} left out: {Reason}", JobId, site, reason);
    }

    string? TakeUpdate(string site, SiteResult header, Stream? payload)
    {
        if (_round is not { Training: true, Closed: false } round) return "no training round is open";
        round.Answered(site);
        if (ResultChecks.Steps(header.Steps, _setup.TrainExamples(site), _job.Site.Tuning) is { } badSteps) return badSteps;
        if (ResultChecks.Metrics(header.Metrics) is { } badMetrics) return badMetrics;
        var record = new SiteRecord(site, header.Steps, new Dictionary<string, double>(header.Metrics));
        if (_job.Server.SecureAggregation)
        {
            // The update stays at the site until it is masked; here only its weight and metrics arrive.
            return payload is not null ? "an unmasked update was sent although the job uses secure aggregation" : Took(round, record);
        }
        if (payload is null) return "no weight difference in the train result";
        try
        {
            using var source = SafeTensorsFile.Open(payload, $"{site}'s update", leaveOpen: true);
            if (_checks.Update(source, _global!) is { } bad) return bad;
            round.Aggregation!.Add(source, header.Steps);
        }
        catch (InvalidDataException e)
        {
            return $"unreadable update: {e.Message}";
        }
        _log.LogInformation("job {Job}: round {Round}: accepted {Site}'s update: {Steps} local steps, the site's own training loss {TrainLoss}; the global model of round {Round} on {Site}'s validation data: loss {Loss}",
            JobId, header.Round, site, header.Steps, Metric(header, "train_loss"), header.Round, site, Metric(header, "validation_loss"));
        return Took(round, record);
    }

    static string Metric(SiteResult header, string name) => RoundCommitter.Format(header.Metrics.TryGetValue(name, out var value) ? value : null);
}
