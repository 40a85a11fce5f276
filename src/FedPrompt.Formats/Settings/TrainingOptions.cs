namespace FedPrompt.Formats.Settings;

/// <summary>Optimisation settings; the defaults are the reference's (NeMo 23.02 p-tuning).</summary>
public sealed record TrainingOptions
{
    public double LearningRate { get; init; } = 1e-4;
    public double WeightDecay { get; init; } = 0.01;
    public double Beta1 { get; init; } = 0.9;
    public double Beta2 { get; init; } = 0.98;
    public int WarmupSteps { get; init; } = 50;
    public int MaxSteps { get; init; } = 3750;
    public double MinLearningRate { get; init; }
    public double GradientClip { get; init; } = 1.0;
    public int GlobalBatchSize { get; init; } = 64;
    public int MicroBatchSize { get; init; } = 4;
    public long Seed { get; init; } = 1234;
    /// <summary>FedProx's μ (Li et al. 2020): in a federated round, μ/2·‖w − w_global‖² is added to the
    /// site's loss, keeping its local steps near the global model; 0 is FedAvg's local training.</summary>
    public double ProximalMu { get; init; }

    public int MicroBatchesPerStep => GlobalBatchSize / MicroBatchSize;

    public TrainingOptions Validated()
    {
        void Require(bool ok, string problem)
        {
            if (!ok) throw new ArgumentException(problem);
        }
        Require(LearningRate > 0, $"learning rate must be positive (got {LearningRate})");
        Require(MinLearningRate >= 0 && MinLearningRate <= LearningRate, $"min learning rate {MinLearningRate} must be in [0, {LearningRate}]");
        Require(WeightDecay >= 0, $"weight decay must be ≥ 0 (got {WeightDecay})");
        Require(Beta1 is >= 0 and < 1 && Beta2 is >= 0 and < 1, "betas must be in [0, 1)");
        Require(WarmupSteps >= 0 && MaxSteps > 0, "warmup steps must be ≥ 0 and max steps positive");
        Require(WarmupSteps < MaxSteps, $"warmup ({WarmupSteps} steps) must be shorter than max_steps ({MaxSteps})");
        Require(ProximalMu >= 0, $"proximal_mu must be ≥ 0 (got {ProximalMu})");
        Require(GradientClip > 0, $"gradient clip must be positive (got {GradientClip})");
        Require(MicroBatchSize > 0 && GlobalBatchSize >= MicroBatchSize && GlobalBatchSize % MicroBatchSize == 0,
            $"global batch {GlobalBatchSize} must be a positive multiple of the micro-batch {MicroBatchSize}");
        return this;
    }
}
