using FedPrompt.Federation.Messages;

namespace FedPrompt.Federation.Site;

/// <summary>The tasks the learner does: set up for a job, train the global model, validate it.
/// With secure aggregation a trained update stays here, held by <see cref="SecureAggregationTasks"/>
/// until it is masked.</summary>
public sealed class LearnerTasks(ISiteLearner learner, SecureAggregationTasks secure)
{
    public (SiteResult, byte[]?) Configure(SiteTask task, byte[]? payload, SiteResult result, CancellationToken cancel)
    {
        var (info, initial) = learner.Configure(task.JobId, task.ConfigJson);
        return (result with { SiteInfoJson = System.Text.Json.JsonSerializer.Serialize(info, Server.JobState.Json) }, initial);
    }

    public (SiteResult, byte[]?) Train(SiteTask task, byte[]? payload, SiteResult result, CancellationToken cancel)
    {
        var outcome = learner.Train(task.JobId, task.Round, payload ?? throw new InvalidDataException("a train task without a global model"), cancel);
        result = result with { Steps = outcome.Steps, Metrics = outcome.Metrics };
        if (!task.SecureAggregation) return (result, outcome.Difference);
        secure.Hold(task.JobId, task.Round, outcome);
        return (result, null);
    }

    public (SiteResult, byte[]?) Validate(SiteTask task, byte[]? payload, SiteResult result, CancellationToken cancel) =>
        (result with { Metrics = learner.Validate(task.JobId, payload ?? throw new InvalidDataException("a validate task without a global model")) }, null);
}
