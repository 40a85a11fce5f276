using FedPrompt.Formats.Settings;
using FedPrompt.Model;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace FedPrompt.Tuning.Encoders;

/// <summary>
/// What a site trains on the frozen model: the only trainable part. An input-level encoder produces
/// the embeddings that replace the word embeddings at the virtual positions; a deep encoder produces
/// every layer's key/value prefix; LoRA adds low-rank products to linear layers. Its parameters are
/// what sites train and the server averages. They are fp32 whatever
/// precision the frozen model computes in: AdamW's steps (lr × a normalised gradient) are far below
/// bf16's resolution of 2⁻⁸ relative, so bf16 parameters would stop moving, and the averages the
/// server takes would round away the sites' differences.
/// </summary>
public abstract class PromptEncoder : nn.Module
{
    protected PromptEncoder(string name, PromptEncoderSettings settings) : base(name)
    {
        Settings = settings;
        Random = new Generator((ulong)settings.Seed);
    }

    public PromptEncoderSettings Settings { get; }

    /// <summary>The encoder's own random stream, seeded by the settings: it draws the initial weights,
    /// then LoRA's dropout masks, so the same configuration gives the same encoder and the same
    /// training whatever else the process draws (other sites, model loads). A training checkpoint
    /// carries its state. The exception is LSTM dropout, which only the process-wide generator can
    /// drive (see <see cref="LstmPromptEncoder"/>): with it on, sites training at once share one stream.</summary>
    public Generator Random { get; }

    /// <summary>[virtual tokens, embedding] for the input positions, or null for deep prompts.</summary>
    public virtual Tensor? InputEmbeddings() => null;

    /// <summary>A cache holding each layer's prefix for a batch, or null for input-level encoders.</summary>
    public virtual KvCache? Prefix(int batch) => null;

    /// <summary>Additions to the frozen model's linear layers (LoRA), or null.</summary>
    public virtual ILinearAdapters? Adapters => null;

    /// <summary>Every parameter, trained or not: what is saved, sent and averaged.</summary>
    public long ParameterCount => parameters().Sum(p => p.numel());

    /// <summary>The parameters the optimizer moves (FFA-LoRA keeps its A matrices fixed), in the encoder's order.</summary>
    public IReadOnlyList<(string Name, Parameter Parameter)> Trainable() =>
        named_parameters().Where(p => p.parameter.requires_grad).Select(p => (p.name, p.parameter)).ToList();

    public static PromptEncoder Create(PromptEncoderSettings settings, LanguageModel model)
    {
        settings.Validated();
        using var noGrad = no_grad();
        return settings.Type switch
        {
            PromptEncoderType.Mlp => new MlpPromptEncoder(settings, model.Config.Embedding),
            PromptEncoderType.Lstm => new LstmPromptEncoder(settings, model.Config.Embedding),
            PromptEncoderType.Embedding => new EmbeddingPromptEncoder(settings, model),
            PromptEncoderType.Deep => new DeepPromptEncoder(settings, model),
            PromptEncoderType.Lora => new LoraAdapters(settings, model),
            _ => throw new ArgumentOutOfRangeException(nameof(settings), settings.Type, "unknown prompt encoder type"),
        };
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing) Random.Dispose();
        base.Dispose(disposing);
    }
}
