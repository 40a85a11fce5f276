using FedPrompt.Federation.Protocol;

namespace FedPrompt.Federation.Site;

/// <summary>The tasks the learner does: set up for a job, train the global model, validate it.
/// With secure aggregation a trained update stays here, held by <see cref="SecureAggregationTasks"/>
/// until it is masked.</summary>
public sealed class LearnerTasks(ISiteLearner learner, SecureAggregationTasks secure)
{
    public byte[]? Configure(TaskHeader task, byte[]? payload, ResultHeader result, CancellationToken cancel)
    {
        var (info, initial) = learner.Configure(task.JobId, task.ConfigJson);
        result.SiteInfoJson = System.Text.Json.JsonSerializer.Serialize(info, Server.JobState.Json);
        return initial;
    }

    public byte[]? Train(TaskHeader task, byte[]? payload, ResultHeader result, CancellationToken cancel)
    {
        var outcome = learner.Train(task.JobId, task.Round, payload ?? throw new InvalidDataException("a train task without a global model"), cancel);
        result.Steps = outcome.Steps;
        result.Metrics.Add(outcome.Metrics);
        if (!task.SecureAggregation) return outcome.Difference;
        secure.Hold(task.JobId, task.Round, outcome);
        return null;
    }

    public byte[]? Validate(TaskHeader task, byte[]? payload, ResultHeader result, CancellationToken cancel)
    {
        result.Metrics.Add(learner.Validate(task.JobId, payload ?? throw new InvalidDataException("a validate task without a global model")));
        return null;
    }
}
