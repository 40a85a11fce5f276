using FedPrompt.Formats.Settings;

namespace FedPrompt.Model.Pretraining;

/// <summary>Everything that determines a pretraining run; recorded beside its output.</summary>
public sealed record PretrainingOptions
{
    public const string Architectures = "gpt2 or llama";

    /// <summary>gpt2 (learned positions, LayerNorm, GELU) or llama (RoPE, RMSNorm, SwiGLU, GQA; tied embeddings).</summary>
    public string Architecture { get; init; } = "gpt2";
    public int Layers { get; init; } = 6;
    public int Embedding { get; init; } = 256;
    public int Heads { get; init; } = 8;
    /// <summary>Llama: key/value heads (grouped-query attention); null is one per head.</summary>
    public int? KvHeads { get; init; }
    /// <summary>Llama: the SwiGLU width; null is 8/3 of the hidden width rounded up to 64, the FLOPs of GPT-2's 4×.</summary>
    public int? Inner { get; init; }
    public double RopeTheta { get; init; } = 10000;
    /// <summary>A folder with the tokenizer to train with (tokenizer.json, …); null is GPT-2's BPE.</summary>
    public string? Tokenizer { get; init; }
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
        Require(Architecture is "gpt2" or "llama", $"architecture '{Architecture}' is not {Architectures}");
        Require(Architecture == "llama" || (KvHeads is null && Inner is null), "--kv-heads and --inner shape a llama architecture");
        return this;
    }

    /// <param name="vocabulary">The tokenizer's size; a llama's embedding rounds it up to a multiple of
    /// 64, which the matrix kernels run faster on (the extra rows are never produced).</param>
    public DecoderConfig ModelConfig(int vocabulary) => Architecture == "llama"
        ? new LlamaConfig
        {
            VocabSize = (vocabulary + 63) / 64 * 64,
            Positions = Positions,
            Embedding = Embedding,
            Layers = Layers,
            Heads = Heads,
            KeyValueHeads = KvHeads ?? Heads,
            Inner = Inner ?? LlamaConfig.SwiGluWidthFor(Embedding),
            RopeTheta = RopeTheta,
            TiedEmbeddings = true,
        }.Validated("pretraining options")
        : new GptConfig
        {
            VocabSize = vocabulary,
            Positions = Positions,
            Embedding = Embedding,
            Layers = Layers,
            Heads = Heads,
        }.Validated("pretraining options");
}
