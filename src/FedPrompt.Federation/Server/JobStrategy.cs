using FedPrompt.Federation.Aggregation;
using FedPrompt.Federation.Jobs;

namespace FedPrompt.Federation.Server;

/// <summary>Which aggregation strategy a job runs, from its server settings.</summary>
public static class JobStrategy
{
    /// <summary>The job's strategy (with central privacy DP-FedAvg, keyed by the job's own secret kept
    /// beside its state); each update bounded by the round's median norm unless the job turns that off.</summary>
    public static IAggregationStrategy For(JobDefinition job, JobStore store)
    {
        IAggregationStrategy strategy = job.Server.Privacy is { Mode: Privacy.PrivacyMode.Central } privacy ? new DpFedAvg(privacy, store.NoiseKey(privacy))
            : job.Server.Strategy switch
            {
                "fedavgm" => new FedAvgM(store.Folder, job.Server.EffectiveServerLearningRate(), job.Server.ServerMomentum),
                "fedadagrad" => new FedAdagrad(store.Folder, job.Server.EffectiveServerLearningRate(), job.Server.Beta1, job.Server.Tau),
                "fedadam" => new FedAdam(store.Folder, job.Server.EffectiveServerLearningRate(), job.Server.Beta1, job.Server.Beta2, job.Server.Tau),
                "fedyogi" => new FedYogi(store.Folder, job.Server.EffectiveServerLearningRate(), job.Server.Beta1, job.Server.Beta2, job.Server.Tau),
                "median" => new CoordinateMedian(),
                "trimmed_mean" => new TrimmedMean(job.Server.ByzantineSites),
                "multi_krum" => new MultiKrum(job.Server.ByzantineSites),
                _ => new FedAvg(),
            };
        return job.Server.UpdateNormBound > 0 ? new NormBounded(strategy, job.Server.UpdateNormBound) : strategy;
    }
}
