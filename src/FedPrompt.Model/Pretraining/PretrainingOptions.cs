namespace FedPrompt.Model.Pretraining;

/// <summary>Everything that determines a pretraining run; recorded beside its output.</summary>
public sealed record PretrainingOptions
{
    public int Layers { get; init; } = 6;
    public int Embedding { get; init; } = 256;
    public int Heads { get; init; } = 8;
    /// <summary>The model's position table; downstream prompts must fit in it.</summary>
    public int Positions { get; init; } = 256;
    /// <summary>Training window; shorter than <see cref="Positions"/> is faster and enough for sentence-level tasks.</summary>
    public int SequenceLength { get; init; } = 128;
    public int BatchSize { get; init; } = 16;
    public int Steps { get; init; } = 2000;
    public double LearningRate { get; init; } = 1e-3;
    public double MinLearningRate { get; init; } = 1e-4;
    public int WarmupSteps { get; init; } = 100;
    public double WeightDecay { get; init; } = 0.1;
    public double Beta1 { get; init; } = 0.9;
    public double Beta2 { get; init; } = 0.95;
    public double GradientClip { get; init; } = 1.0;
    public double Dropout { get; init; } = 0.1;
    public int EvaluateEvery { get; init; } = 200;
    /// <summary>Held-out windows scored at each evaluation.</summary>
    public int EvaluationWindows { get; init; } = 64;
    public int CheckpointEvery { get; init; } = 200;
    /// <summary>Every n-th article (by NEWID) is held out.</summary>
    public int HeldOutEvery { get; init; } = 20;
    public long Seed { get; init; } = 1234;
    /// <summary>The matrix products' type; the weights and AdamW's state stay fp32 (mixed precision).</summary>
    public Precision Precision { get; init; } = Precision.Auto;

    public PretrainingOptions Validated()
    {
        void Require(bool ok, string what)
        {
            if (!ok) throw new ArgumentException(what);
        }
        Require(SequenceLength >= 2 && SequenceLength <= Positions, $"sequence length {SequenceLength} must be in [2, positions {Positions}]");
        Require(BatchSize > 0 && Steps > 0, "batch size and steps must be positive");
        Require(WarmupSteps >= 0 && WarmupSteps < Steps, $"warmup steps {WarmupSteps} must be below the step count {Steps}");
        Require(LearningRate > 0 && MinLearningRate >= 0 && MinLearningRate <= LearningRate, "learning rates must satisfy 0 ≤ min ≤ max, max > 0");
        Require(Dropout is >= 0 and < 1, $"dropout {Dropout} must be in [0, 1)");
        Require(EvaluateEvery > 0 && CheckpointEvery > 0 && EvaluationWindows > 0, "evaluation and checkpoint intervals must be positive");
        Require(HeldOutEvery >= 2, $"held-out-every {HeldOutEvery} must be at least 2");
        return this;
    }

    public GptConfig ModelConfig() => new GptConfig
    {
        VocabSize = 50257,
        Positions = Positions,
        Embedding = Embedding,
        Layers = Layers,
        Heads = Heads,
    }.Validated("pretraining options");
}
