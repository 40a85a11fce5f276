namespace FedPrompt.Model;

/// <summary>The MLP nonlinearity. Hugging Face GPT-2 uses the tanh approximation ("gelu_new"),
/// Megatron/NeMo the exact erf form; both appear in checkpoints users bring.</summary>
public enum GptActivation { GeluTanh, GeluErf }

/// <summary>Shape of a GPT-2-architecture model (pre-LayerNorm, learned positions, tied LM head).</summary>
public sealed record GptConfig
{
    public required int VocabSize { get; init; }
    public required int Positions { get; init; }
    public required int Embedding { get; init; }
    public required int Layers { get; init; }
    public required int Heads { get; init; }
    /// <summary>MLP width; GPT-2 uses 4 × <see cref="Embedding"/>.</summary>
    public int? Inner { get; init; }
    public double LayerNormEpsilon { get; init; } = 1e-5;
    public GptActivation Activation { get; init; } = GptActivation.GeluTanh;

    public int InnerSize => Inner ?? 4 * Embedding;
    public int HeadSize => Embedding / Heads;

    /// <summary>Throws with the offending setting named; <paramref name="origin"/> says where the config came from.</summary>
    public GptConfig Validated(string origin)
    {
        void Require(bool ok, string what)
        {
            if (!ok) throw new InvalidDataException($"{origin}: {what}");
        }
        Require(VocabSize > 0, $"vocab size must be positive (got {VocabSize})");
        Require(Positions > 0, $"positions must be positive (got {Positions})");
        Require(Embedding > 0, $"embedding size must be positive (got {Embedding})");
        Require(Layers > 0, $"layer count must be positive (got {Layers})");
        Require(Heads > 0 && Embedding % Heads == 0, $"embedding size {Embedding} is not divisible by the head count {Heads}");
        Require(InnerSize > 0, $"MLP size must be positive (got {InnerSize})");
        Require(LayerNormEpsilon > 0, $"layer norm epsilon must be positive (got {LayerNormEpsilon})");
        return this;
    }

    public long ParameterCount =>
        (long)VocabSize * Embedding + (long)Positions * Embedding
        + Layers * (
            2L * 2 * Embedding                                  // ln_1, ln_2
            + (long)Embedding * 3 * Embedding + 3 * Embedding   // c_attn
            + (long)Embedding * Embedding + Embedding           // attn.c_proj
            + (long)Embedding * InnerSize + InnerSize           // c_fc
            + (long)InnerSize * Embedding + Embedding)          // mlp.c_proj
        + 2L * Embedding;                                       // ln_f

    public string Describe() =>
        $"GPT-2 architecture: {Layers} layers, {Embedding} hidden, {Heads} heads, MLP {InnerSize}, " +
        $"{Positions} positions, vocabulary {VocabSize}, {(Activation == GptActivation.GeluTanh ? "gelu_new (tanh)" : "gelu (erf)")}";
}
