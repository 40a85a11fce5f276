namespace FedPrompt.Model;

/// <summary>The Llama-family variants: the same decoder, differing in biases, q/k norms and attention span.</summary>
public enum LlamaFamily { Llama, Mistral, Qwen2, Qwen3 }

/// <summary>How RoPE's frequencies are stretched for contexts longer than the model was first trained on.</summary>
public enum RopeScalingType { None, Linear, Llama3 }

/// <param name="Factor">How many times longer the context is; linear scaling divides every frequency by it.</param>
/// <param name="LowFrequencyFactor">Llama 3: wavelengths longer than original/low are divided by the factor…</param>
/// <param name="HighFrequencyFactor">…wavelengths shorter than original/high are kept, and those between interpolated.</param>
public sealed record RopeScaling(RopeScalingType Type, double Factor = 1, double LowFrequencyFactor = 1, double HighFrequencyFactor = 4,
    int OriginalPositions = 8192);

/// <summary>
/// Shape of a Llama-family decoder (Llama 2/3.x, SmolLM2, TinyLlama, Mistral, Qwen2.5, Qwen3): RMSNorm,
/// rotary positions, grouped-query attention and a SwiGLU MLP, as Hugging Face's config.json describes it.
/// </summary>
public sealed record LlamaConfig : DecoderConfig
{
    public LlamaFamily Family { get; init; } = LlamaFamily.Llama;
    public required int Inner { get; init; }
    public int KeyValueHeads { get; init; }
    /// <summary>An explicit head size (Qwen3 and others decouple it from hidden / heads).</summary>
    public int? HeadDimension { get; init; }
    public double RmsNormEpsilon { get; init; } = 1e-6;
    public double RopeTheta { get; init; } = 10000;
    public RopeScaling Rope { get; init; } = new(RopeScalingType.None);
    /// <summary>Bias on the q, k and v projections (Qwen2, or Llama's attention_bias).</summary>
    public bool QkvBias { get; init; }
    /// <summary>Bias on the output projection (Llama's attention_bias; Qwen2 has none there).</summary>
    public bool OutputBias { get; init; }
    /// <summary>Qwen3: an RMSNorm over each head's queries and keys before RoPE.</summary>
    public bool QkNorm { get; init; }
    /// <summary>Mistral: a query attends only the keys less than this many positions back.</summary>
    public int? SlidingWindow { get; init; }
    public bool TiedEmbeddings { get; init; } = true;

    public override int KvHeads => KeyValueHeads > 0 ? KeyValueHeads : Heads;

    /// <summary>The SwiGLU width whose three matrices cost what GPT-2's two at 4× the width do: 8/3 of
    /// it, rounded up to a multiple of 64 (which the matrix kernels run faster on).</summary>
    public static int SwiGluWidthFor(int embedding) => (embedding * 8 / 3 + 63) / 64 * 64;
    public override int HeadSize => HeadDimension ?? Embedding / Heads;

    public new LlamaConfig Validated(string origin) => (LlamaConfig)base.Validated(origin);

    protected override IEnumerable<string> Problems()
    {
        foreach (var problem in base.Problems()) yield return problem;
        if (HeadDimension is null && Heads > 0 && Embedding % Heads != 0) yield return $"hidden size {Embedding} is not divisible by the head count {Heads} (and no head_dim is given)";
        if (HeadSize <= 0 || HeadSize % 2 != 0) yield return $"head size must be positive and even for rotary positions (got {HeadSize})";
        if (Heads > 0 && (KvHeads <= 0 || Heads % KvHeads != 0)) yield return $"{Heads} attention heads cannot be shared among {KvHeads} key/value heads";
        if (Inner <= 0) yield return $"intermediate size must be positive (got {Inner})";
        if (RmsNormEpsilon <= 0) yield return $"rms_norm_eps must be positive (got {RmsNormEpsilon})";
        if (RopeTheta <= 0) yield return $"rope_theta must be positive (got {RopeTheta})";
        if (Rope.Type != RopeScalingType.None && Rope.Factor <= 0) yield return $"rope scaling factor must be positive (got {Rope.Factor})";
        if (Rope.Type == RopeScalingType.Llama3 && !(Rope.HighFrequencyFactor > Rope.LowFrequencyFactor && Rope.LowFrequencyFactor > 0 && Rope.OriginalPositions > 0))
            yield return $"llama3 rope scaling needs 0 < low_freq_factor < high_freq_factor and original_max_position_embeddings > 0 (got {Rope.LowFrequencyFactor}, {Rope.HighFrequencyFactor}, {Rope.OriginalPositions})";
        if (SlidingWindow is <= 0) yield return $"sliding window must be positive (got {SlidingWindow})";
    }

    public override long ParameterCount
    {
        get
        {
            long q = (long)Heads * HeadSize, kv = (long)KvHeads * HeadSize;
            long attention = Embedding * q + 2 * Embedding * kv + q * Embedding
                + (QkvBias ? q + 2 * kv : 0) + (OutputBias ? Embedding : 0) + (QkNorm ? 2L * HeadSize : 0);
            long layer = attention + 3L * Embedding * Inner + 2L * Embedding;
            return (long)VocabSize * Embedding * (TiedEmbeddings ? 1 : 2) + Layers * layer + Embedding;
        }
    }

    public override long LayerMatrixWeights =>
        2L * Embedding * Heads * HeadSize + 2L * Embedding * KvHeads * HeadSize + 3L * Embedding * Inner;

    public override string Describe()
    {
        var attention = KvHeads == Heads ? $"{Heads} heads" : $"{Heads} heads sharing {KvHeads} key/value heads";
        var rope = Rope.Type switch
        {
            RopeScalingType.Linear => $", RoPE θ {RopeTheta:G} linear ×{Rope.Factor:G}",
            RopeScalingType.Llama3 => $", RoPE θ {RopeTheta:G} llama3 ×{Rope.Factor:G}",
            _ => $", RoPE θ {RopeTheta:G}",
        };
        var extras = new List<string>();
        if (QkvBias) extras.Add(OutputBias ? "attention bias" : "qkv bias");
        if (QkNorm) extras.Add("q/k norm");
        if (SlidingWindow is { } window) extras.Add($"sliding window {window}");
        extras.Add(TiedEmbeddings ? "tied embeddings" : "untied LM head");
        return $"Llama architecture ({Family.ToString().ToLowerInvariant()}): {Layers} layers, {Embedding} hidden, {attention} of size {HeadSize}, " +
            $"SwiGLU MLP {Inner}, {Positions} positions{rope}, vocabulary {VocabSize}, {string.Join(", ", extras)}";
    }
}
