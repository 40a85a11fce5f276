namespace FedPrompt.Model;

/// <summary>The MLP nonlinearity. Hugging Face GPT-2 uses the tanh approximation ("gelu_new"),
/// Megatron/NeMo the exact erf form; both appear in checkpoints users bring.</summary>
public enum GptActivation { GeluTanh, GeluErf }

/// <summary>Shape of a GPT-2-architecture model (pre-LayerNorm, learned positions, tied LM head).</summary>
public sealed record GptConfig : DecoderConfig
{
    /// <summary>MLP width; GPT-2 uses 4 × <see cref="DecoderConfig.Embedding"/>.</summary>
    public int? Inner { get; init; }
    public double LayerNormEpsilon { get; init; } = 1e-5;
    public GptActivation Activation { get; init; } = GptActivation.GeluTanh;

    public int InnerSize => Inner ?? 4 * Embedding;

    public new GptConfig Validated(string origin) => (GptConfig)base.Validated(origin);

    protected override IEnumerable<string> Problems()
    {
        foreach (var problem in base.Problems()) yield return problem;
        if (Heads > 0 && Embedding % Heads != 0) yield return $"embedding size {Embedding} is not divisible by the head count {Heads}";
        if (InnerSize <= 0) yield return $"MLP size must be positive (got {InnerSize})";
        if (LayerNormEpsilon <= 0) yield return $"layer norm epsilon must be positive (got {LayerNormEpsilon})";
    }

    public override long ParameterCount =>
        (long)VocabSize * Embedding + (long)Positions * Embedding
        + Layers * (
            2L * 2 * Embedding                                  // ln_1, ln_2
            + (long)Embedding * 3 * Embedding + 3 * Embedding   // c_attn
            + (long)Embedding * Embedding + Embedding           // attn.c_proj
            + (long)Embedding * InnerSize + InnerSize           // c_fc
            + (long)InnerSize * Embedding + Embedding)          // mlp.c_proj
        + 2L * Embedding;                                       // ln_f

    public override long LayerMatrixWeights => 4L * Embedding * Embedding + 2L * Embedding * InnerSize;

    public override string Describe() =>
        $"GPT-2 architecture: {Layers} layers, {Embedding} hidden, {Heads} heads, MLP {InnerSize}, " +
        $"{Positions} positions, vocabulary {VocabSize}, {(Activation == GptActivation.GeluTanh ? "gelu_new (tanh)" : "gelu (erf)")}";
}
