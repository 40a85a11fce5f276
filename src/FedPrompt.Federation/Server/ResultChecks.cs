using FedPrompt.Federation.Models;
using FedPrompt.Federation.Messages;
using FedPrompt.Formats.Checkpoints;
using FedPrompt.Formats.Settings;

namespace FedPrompt.Federation.Server;

/// <summary>
/// Why a site's result is refused, each reason in one place. Every check returns the reason, or
/// null when the result passes it; the workflow records the reason with the round and in the audit
/// log, and the site reads it in its reply.
/// </summary>
public sealed class ResultChecks
{
    readonly TensorScratch _scratch = new();

    /// <summary>Whether the result answers a task of this job, round and site at all.</summary>
    public static string? Addressing(SiteResult header, string jobId, IReadOnlyList<string> sites, string site, bool over, int round,
        RoundInProgress? open)
    {
        if (header.JobId != jobId) return $"the result is for job {header.JobId}, not the running job {jobId}";
        if (!sites.Contains(site)) return $"site {site} is not in job {jobId}";
        if (over) return "the job is over";
        if (header.Kind != SiteTaskKind.Configure && header.Round != round) return $"the result is for round {header.Round}; the current round is {round}";
        if (header.Kind is SiteTaskKind.Train or SiteTaskKind.Validate && open?.Accepted.ContainsKey(site) == true)
            return $"a second result from {site} in round {header.Round}";
        return null;
    }

    public static string StaleTask(SiteResult header, string site) =>
        $"the result answers task {header.TaskId}, which is not the task {site} holds (stale or unknown)";

    /// <summary>A site's weight in the average is its step count: at least one, and at most what its
    /// declared training examples allow in the job's epochs (so it cannot outweigh the others by claiming 2⁶² steps).</summary>
    public static string? Steps(long steps, int trainExamples, TuningSettings tuning)
    {
        if (steps <= 0) return $"{steps} local steps: an update must come from at least one optimizer step";
        long perEpoch = (trainExamples + tuning.Training.GlobalBatchSize - 1) / tuning.Training.GlobalBatchSize;
        long most = perEpoch * tuning.Epochs;
        return steps > most
            ? $"{steps:N0} local steps, but its {trainExamples:N0} training examples allow at most {most:N0} ({tuning.Epochs} epoch(s) of {perEpoch:N0} batches of {tuning.Training.GlobalBatchSize})"
            : null;
    }

    /// <summary>Every reported metric must be finite, losses not negative, accuracies within [0, 1]:
    /// a site must not choose the best model by reporting a loss of −1e300 or NaN.</summary>
    public static string? Metrics(IReadOnlyDictionary<string, double> metrics)
    {
        foreach (var (name, value) in metrics)
        {
            if (!double.IsFinite(value)) return $"metric {name} is {value}, not a finite number";
            if (name.EndsWith("_loss", StringComparison.Ordinal) && value < 0) return $"metric {name} is {value}: a loss is not negative";
            if (name.EndsWith("_accuracy", StringComparison.Ordinal) && value is < 0 or > 1) return $"metric {name} is {value}: an accuracy lies in [0, 1]";
        }
        return null;
    }

    /// <summary>An update (a weight difference) must have the global model's tensors and be finite.</summary>
    public string? Update(ITensorSource update, ModelState global)
    {
        if (global.Mismatch(update) is { } mismatch) return $"the update does not fit the global model: {mismatch}";
        foreach (var (name, tensor) in update.Tensors)
            foreach (var value in _scratch.Read(tensor))
                if (!float.IsFinite(value)) return $"the update holds NaN or infinite values ({name})";
        return null;
    }

    /// <summary>The first tensor of a would-be global model holding NaN or infinity, or null: such a model is never committed.</summary>
    public static string? NonFinite(ModelState model) =>
        model.Tensors.FirstOrDefault(t => t.Values.Any(v => !float.IsFinite(v)))?.Name;
}
