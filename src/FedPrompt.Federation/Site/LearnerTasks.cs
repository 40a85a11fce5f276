using FedPrompt.Federation.Messages;
using FedPrompt.Federation.Models;

namespace FedPrompt.Federation.Site;

/// <summary>The tasks the learner does: set up for a job, train the global model, validate it.
/// With secure aggregation a trained update stays here, held by <see cref="SecureAggregationTasks"/>
/// until it is masked. Models cross the wire as safetensors bytes and reach the learner as
/// <see cref="ModelState"/>: each is read once and written once, here.</summary>
public sealed class LearnerTasks(ISiteLearner learner, SecureAggregationTasks secure)
{
    public (SiteResult, byte[]?) Configure(SiteTask task, byte[]? payload, SiteResult result, CancellationToken cancel)
    {
        var (info, initial) = learner.Configure(task.JobId, task.ConfigJson);
        return (result with { SiteInfoJson = System.Text.Json.JsonSerializer.Serialize(info, Server.JobState.Json) }, initial.ToBytes());
    }

    public (SiteResult, byte[]?) Train(SiteTask task, byte[]? payload, SiteResult result, CancellationToken cancel)
    {
        var outcome = learner.Train(task.JobId, task.Round, Global(payload, task), cancel);
        result = result with { Steps = outcome.Steps, Metrics = outcome.Metrics };
        if (!task.SecureAggregation) return (result, outcome.Difference.ToBytes());
        secure.Hold(task.JobId, task.Round, outcome);
        return (result, null);
    }

    public (SiteResult, byte[]?) Validate(SiteTask task, byte[]? payload, SiteResult result, CancellationToken cancel) =>
        (result with { Metrics = learner.Validate(task.JobId, Global(payload, task)) }, null);

    static ModelState Global(byte[]? payload, SiteTask task) =>
        ModelState.FromBytes(payload ?? throw new InvalidDataException($"a {task.Kind.ToString().ToLowerInvariant()} task without a global model"), "the global model");
}
