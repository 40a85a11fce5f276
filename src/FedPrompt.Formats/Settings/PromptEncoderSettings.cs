using System.Text.Json.Serialization;

namespace FedPrompt.Formats.Settings;

/// <summary>The prompt-encoder families. The first three are NeMo's input-level p-tuning (virtual
/// token embeddings at the input); <see cref="Deep"/> is deep prompt tuning (P-Tuning v2), with
/// learned keys and values in front of every layer's attention.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<PromptEncoderType>))]
public enum PromptEncoderType
{
    [JsonStringEnumMemberName("mlp")] Mlp,
    [JsonStringEnumMemberName("lstm")] Lstm,
    [JsonStringEnumMemberName("embedding")] Embedding,
    [JsonStringEnumMemberName("deep")] Deep,
}

/// <summary>Everything needed to rebuild a prompt encoder's shape; saved with its weights.</summary>
public sealed record PromptEncoderSettings
{
    public PromptEncoderType Type { get; init; } = PromptEncoderType.Mlp;
    /// <summary>Virtual tokens (input-level) or prefix positions per layer (deep).</summary>
    public int VirtualTokens { get; init; } = 10;
    /// <summary>Hidden width of the MLP / LSTM (NeMo's default 2048) or of deep prompts' reparameterisation MLP.</summary>
    public int HiddenSize { get; init; } = 2048;
    /// <summary>MLP depth (≥ 2: Linear → ReLU → … → Linear) or LSTM layers.</summary>
    public int Layers { get; init; } = 2;
    public double LstmDropout { get; init; }
    /// <summary>Deep prompts only: produce the prefixes with a small MLP from an embedding (prefix
    /// tuning's reparameterisation) instead of learning them directly.</summary>
    public bool Reparameterize { get; init; }
    /// <summary>Text whose own keys/values (deep) or word embeddings (embedding) initialise the prompt;
    /// empty for random initialisation.</summary>
    public string InitText { get; init; } = " The company said that the market is";
    public long Seed { get; init; } = 1234;

    public bool AtInput => Type != PromptEncoderType.Deep;

    public PromptEncoderSettings Validated()
    {
        if (VirtualTokens < 1) throw new ArgumentException($"virtual tokens must be positive (got {VirtualTokens})");
        if (HiddenSize < 1) throw new ArgumentException($"hidden size must be positive (got {HiddenSize})");
        if (Type == PromptEncoderType.Mlp && Layers < 2) throw new ArgumentException($"the mlp encoder needs at least 2 layers (got {Layers})");
        if (Type == PromptEncoderType.Lstm && Layers < 1) throw new ArgumentException($"the lstm encoder needs at least 1 layer (got {Layers})");
        if (LstmDropout is < 0 or >= 1) throw new ArgumentException($"lstm dropout must be in [0, 1) (got {LstmDropout})");
        return this;
    }
}
