using TorchSharp;
using TorchSharp.Modules;
using FedPrompt.Formats.Settings;
using static TorchSharp.torch;

namespace FedPrompt.Tuning.Encoders;

/// <summary>NeMo's "lstm" p-tuning encoder: Embedding(V, d) → bidirectional LSTM(d → H) →
/// Linear(2H, 2H) → ReLU → Linear(2H, d). Its LSTM weights are ordinary parameters here, so they
/// save, load and federate like the rest (NeMo's loading of them is broken).</summary>
public sealed class LstmPromptEncoder : PromptEncoder
{
    readonly Embedding _embedding;
    readonly LSTM _lstmHead;
    readonly Sequential _mlpHead;

    public LstmPromptEncoder(PromptEncoderSettings settings, int embedding) : base("lstm_encoder", settings)
    {
        _embedding = nn.Embedding(settings.VirtualTokens, embedding);
        _lstmHead = nn.LSTM(embedding, settings.HiddenSize, settings.Layers, bidirectional: true, batchFirst: true, dropout: settings.LstmDropout);
        _mlpHead = nn.Sequential(
            nn.Linear(2 * settings.HiddenSize, 2 * settings.HiddenSize), nn.ReLU(), nn.Linear(2 * settings.HiddenSize, embedding));
        register_module("embedding", _embedding);
        register_module("lstm_head", _lstmHead);
        register_module("mlp_head", _mlpHead);
        DefaultInitialisation.Apply(_embedding, Random);
        DefaultInitialisation.Apply(_lstmHead, Random);
        DefaultInitialisation.Apply(_mlpHead, Random);
        // The dropout between LSTM layers draws from the process-wide generator (TorchSharp's LSTM
        // takes no other), so with dropout on, the run starts it from the seed as well.
        if (settings.LstmDropout > 0) manual_seed(settings.Seed);
    }

    public override Tensor InputEmbeddings()
    {
        var (output, _, _) = _lstmHead.forward(_embedding.weight!.unsqueeze(0));
        return _mlpHead.forward(output[0]);
    }
}
