using TorchSharp;
using TorchSharp.Modules;
using FedPrompt.Formats.Settings;
using static TorchSharp.torch;

namespace FedPrompt.Tuning.Encoders;

/// <summary>NeMo's "mlp" p-tuning encoder: a trainable Embedding(V, d) indexed 0…V−1, fed through
/// Linear(d, H) → ReLU → (Linear(H, H) → ReLU)* → Linear(H, d), PyTorch default initialisation.</summary>
public sealed class MlpPromptEncoder : PromptEncoder
{
    readonly Embedding _embedding;
    readonly Sequential _mlpHead;

    public MlpPromptEncoder(PromptEncoderSettings settings, int embedding) : base("mlp_encoder", settings)
    {
        _embedding = nn.Embedding(settings.VirtualTokens, embedding);
        var layers = new List<nn.Module<Tensor, Tensor>> { nn.Linear(embedding, settings.HiddenSize), nn.ReLU() };
        for (int i = 0; i < settings.Layers - 2; i++) layers.AddRange([nn.Linear(settings.HiddenSize, settings.HiddenSize), nn.ReLU()]);
        layers.Add(nn.Linear(settings.HiddenSize, embedding));
        _mlpHead = nn.Sequential(layers);
        register_module("embedding", _embedding);
        register_module("mlp_head", _mlpHead);
        DefaultInitialisation.Apply(_embedding, Random);
        DefaultInitialisation.Apply(_mlpHead, Random);
    }

    public override Tensor InputEmbeddings() => _mlpHead.forward(_embedding.weight!);
}
