using FedPrompt.Federation.Aggregation;
using System.Text.Json;
using FedPrompt.Federation.Jobs;
using FedPrompt.Federation.Models;
using FedPrompt.Formats.Artefacts;
using Microsoft.Extensions.Logging;

namespace FedPrompt.Federation.Server;

/// <summary>
/// What is written when a round closes or the job ends: the round's record (who contributed, who
/// was turned away, the global model's validation metrics), the best model so far, the new global
/// model and state — committed together by the <see cref="JobStore"/>, so a crash leaves the last
/// round or this one, never half of it — then the metrics and TensorBoard logs and the log line.
/// </summary>
public sealed class RoundCommitter(JobDefinition job, JobStore store, AuditLog audit, ILogger log, TimeProvider clock)
{
    /// <param name="global">The global model the sites received this round.</param>
    /// <param name="next">The next global model (a training round), or null (the final validation).</param>
    /// <param name="participants">With secure aggregation, the sites whose masked updates made up the sum; otherwise null (every accepted site).</param>
    /// <param name="aggregation">What the strategy or secure aggregation reports about the round.</param>
    public JobState CloseRound(JobState state, RoundInProgress round, ModelState global, ModelState? next, IReadOnlyCollection<string>? participants,
        IReadOnlyDictionary<string, double> aggregation)
    {
        var sites = round.Accepted.Values.Where(s => participants is null || participants.Contains(s.Site))
            .OrderBy(s => s.Site, StringComparer.Ordinal).ToList();
        double? loss = WeightedMean(sites, "validation_loss");
        double? accuracy = WeightedMean(sites, "validation_accuracy");
        double? median = MedianOf(sites, "validation_loss");
        var record = new RoundRecord(round.Number, next is not null ? "train" : "validate", sites, round.Rejected.ToList(), loss, accuracy, clock.GetUtcNow(),
            next is not null ? RoundMetrics(round.Number, aggregation) : null, median,
            round.Sites.Count < job.Meta.Sites.Count ? round.Sites : null);

        // The metrics describe the global model the sites received: this round's. Round 0's
        // (the untrained initial model) never counts as best, as in the reference. The median, not
        // the mean, decides, so that one site's report cannot choose the best model.
        ModelState? newBest = null;
        state = state with { Rounds = [.. state.Rounds, record] };
        if (median is { } l && round.Number > 0 && (state.BestLoss is null || l < state.BestLoss))
        {
            newBest = global;
            state = state with { BestLoss = l, BestRound = round.Number };
        }
        state = next is not null ? state with { NextRound = round.Number + 1 } : state with { FinalValidationDone = true };

        state = store.Commit(state, next, newBest, ArtefactMetadata(state));
        store.WriteMetrics(state);
        log.LogInformation("job {Job}: round {Round} closed: {Count} site(s) ({Sites}); the global model of round {Round} on their validation data: loss {Loss}, accuracy {Accuracy}; {Best}{Privacy}{Rejected}",
            state.JobId, round.Number, sites.Count, string.Join(", ", sites.Select(s => s.Site)), round.Number, Format(loss), Format(accuracy), Best(state),
            record.Aggregation?.TryGetValue("epsilon", out var epsilon) == true ? $"; privacy spent ε = {epsilon:F3} (δ = {record.Aggregation["delta"]:G2})" : "",
            round.Rejected.Count > 0 ? $"; turned away: {string.Join("; ", round.Rejected)}" : "");
        return state;
    }

    /// <summary>The identity a quorum of sites agreed on, with its initial encoder as the round-0 global model.</summary>
    public JobState Settled(JobState state, JobIdentity identity, ModelState initial)
    {
        state = state with { BaseModelJson = identity.BaseModelJson, InitialEncoderSha256 = identity.InitialEncoderSha256, Answers = identity.Answers };
        return store.Commit(state, initial, null, ArtefactMetadata(state));
    }

    public JobState Started(JobState state)
    {
        state = state with { Status = JobStatuses.Running, Message = null };
        store.SaveState(state);
        log.LogInformation("job {Job}: started ({Rounds} rounds, sites {Sites}, min_clients {Min}){Resume}", state.JobId, job.Server.NumRounds,
            string.Join(", ", job.Meta.Sites), job.Server.MinClients, state.NextRound > 0 ? $", resuming at round {state.NextRound}" : "");
        return state;
    }

    public JobState Ended(JobState state, string status, string? message)
    {
        state = state with { Status = status, Message = message };
        store.SaveState(state);
        audit.Record("server", $"job {status}", state.JobId, detail: message);
        store.WriteMetrics(state);
        if (status == JobStatuses.Finished)
            log.LogInformation("job {Job}: finished; {Best}; models in {Folder}", state.JobId,
                state.BestLoss is null ? "no round's global model had a validation loss, so there is no best model" : Best(state, "best"), store.Folder);
        else
            log.LogWarning("job {Job}: {Status}: {Message}", state.JobId, status, message);
        return state;
    }

    public static string Format(double? value) => value is { } v ? v.ToString("F4") : "none";

    /// <summary>The best global model so far, in words: round 0's (the untrained model) never counts.</summary>
    static string Best(JobState state, string which = "best so far") => state.BestLoss is { } best
        ? $"{which}: validation loss {best:F4}, the global model of round {state.BestRound}"
        : "no best model yet";

    /// <summary>What the strategy reports, and with privacy on, the (ε, δ) spent by the models released so far.</summary>
    Dictionary<string, double> RoundMetrics(int round, IReadOnlyDictionary<string, double> aggregation)
    {
        var metrics = new Dictionary<string, double>(aggregation);
        if (job.Server.Privacy is { } privacy)
        {
            var spent = privacy.GuaranteeAfter(round + 1);
            metrics["epsilon"] = spent.Epsilon;
            metrics["delta"] = spent.Delta;
        }
        return metrics;
    }

    /// <summary>The step-weighted mean of a metric the sites reported (validation results weigh equally).</summary>
    static double? WeightedMean(IReadOnlyList<SiteRecord> sites, string metric)
    {
        var reported = sites.Where(s => s.Metrics.ContainsKey(metric)).ToList();
        if (reported.Count == 0) return null;
        double Weight(SiteRecord s) => s.Steps > 0 ? s.Steps : 1;
        return reported.Sum(s => Weight(s) * s.Metrics[metric]) / reported.Sum(Weight);
    }

    /// <summary>The median of a metric the sites reported.</summary>
    static double? MedianOf(IReadOnlyList<SiteRecord> sites, string metric)
    {
        var values = sites.Where(s => s.Metrics.ContainsKey(metric)).Select(s => s.Metrics[metric]).ToList();
        return values.Count == 0 ? null : Median.Of(values);
    }

    /// <summary>What makes the server's global and best models p-tuning artefacts: the encoder's
    /// settings, template, answers, and the base model the sites reported.</summary>
    IReadOnlyDictionary<string, string> ArtefactMetadata(JobState state)
    {
        if (state.BaseModelJson is null) return new Dictionary<string, string>();
        var tuning = job.Site.Tuning;
        var identity = JsonSerializer.Deserialize<BaseModelIdentity>(state.BaseModelJson, JobState.Json)!;
        var header = new EncoderHeader(tuning.Encoder, tuning.Template.ToJson(), state.Answers, identity);
        return new Dictionary<string, string> { [EncoderHeader.MetadataKey] = header.ToJson() };
    }
}
