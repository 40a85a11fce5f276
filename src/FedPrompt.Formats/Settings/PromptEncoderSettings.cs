using System.Text.Json.Serialization;

namespace FedPrompt.Formats.Settings;

/// <summary>The families of what a site trains on the frozen model. The first three are NeMo's
/// input-level p-tuning (virtual token embeddings at the input); <see cref="Deep"/> is deep prompt
/// tuning (P-Tuning v2), with learned keys and values in front of every layer's attention;
/// <see cref="Lora"/> adds trained low-rank products to the model's linear layers (LoRA).</summary>
[JsonConverter(typeof(JsonStringEnumConverter<PromptEncoderType>))]
public enum PromptEncoderType
{
    [JsonStringEnumMemberName("mlp")] Mlp,
    [JsonStringEnumMemberName("lstm")] Lstm,
    [JsonStringEnumMemberName("embedding")] Embedding,
    [JsonStringEnumMemberName("deep")] Deep,
    [JsonStringEnumMemberName("lora")] Lora,
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

    /// <summary>LoRA: the rank r of each B·A.</summary>
    public int LoraRank { get; init; } = 8;
    /// <summary>LoRA: B·A is scaled by alpha / r (PEFT's scaling).</summary>
    public double LoraAlpha { get; init; } = 16;
    /// <summary>LoRA: dropout on the adapters' input while training.</summary>
    public double LoraDropout { get; init; } = 0.05;
    /// <summary>LoRA: which linear layers get adapters, comma-separated: attention, mlp, all, or module
    /// names matched as PEFT's target_modules are (a layer's path or its ending: q_proj, attn.c_attn).</summary>
    public string LoraTargets { get; init; } = "attention";
    /// <summary>LoRA: keep A at its seeded initialisation and train B only (FFA-LoRA, Sun et al. 2024).
    /// Sites then share A, so the average of their B·A is exactly the server's averaged B times A.</summary>
    public bool LoraFreezeA { get; init; }

    /// <summary>The prompt sits at the input as virtual tokens (not for deep prompts or LoRA, which need no input positions).</summary>
    public bool AtInput => Type is not (PromptEncoderType.Deep or PromptEncoderType.Lora);

    public PromptEncoderSettings Validated()
    {
        if (VirtualTokens < 1) throw new ArgumentException($"virtual tokens must be positive (got {VirtualTokens})");
        if (HiddenSize < 1) throw new ArgumentException($"hidden size must be positive (got {HiddenSize})");
        if (Type == PromptEncoderType.Mlp && Layers < 2) throw new ArgumentException($"the mlp encoder needs at least 2 layers (got {Layers})");
        if (Type == PromptEncoderType.Lstm && Layers < 1) throw new ArgumentException($"the lstm encoder needs at least 1 layer (got {Layers})");
        if (LstmDropout is < 0 or >= 1) throw new ArgumentException($"lstm dropout must be in [0, 1) (got {LstmDropout})");
        if (LoraRank < 1) throw new ArgumentException($"lora_rank must be positive (got {LoraRank})");
        if (!(LoraAlpha > 0) || double.IsInfinity(LoraAlpha)) throw new ArgumentException($"lora_alpha must be positive (got {LoraAlpha})");
        if (LoraDropout is < 0 or >= 1) throw new ArgumentException($"lora_dropout must be in [0, 1) (got {LoraDropout})");
        if (Type == PromptEncoderType.Lora && LoraTargetNames().Count == 0) throw new ArgumentException("lora_targets names no linear layers");
        return this;
    }

    /// <summary>What trains, in a few words (for progress lines and reports).</summary>
    public string Describe() => Type == PromptEncoderType.Lora
        ? $"LoRA r {LoraRank}, alpha {LoraAlpha} on {LoraTargets}{(LoraFreezeA ? " (A frozen: FFA-LoRA)" : "")}"
        : $"{Type.ToString().ToLowerInvariant()} prompt encoder";

    public IReadOnlyList<string> LoraTargetNames() => LoraTargets.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
}
