using FedPrompt.Formats.Settings;
using FedPrompt.Model;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace FedPrompt.Tuning.Encoders;

/// <summary>Plain prompt tuning: the virtual token embeddings themselves are the parameters,
/// initialised from the word embeddings of the init text (cycled) so they start on the scale of
/// real tokens, or from randomly chosen vocabulary rows without one.</summary>
public sealed class EmbeddingPromptEncoder : PromptEncoder
{
    readonly Parameter _embeddings;

    public EmbeddingPromptEncoder(PromptEncoderSettings settings, LanguageModel model) : base("embedding_encoder", settings)
    {
        var ids = InitTokens(settings, model, Random);
        _embeddings = new Parameter(model.Network.EmbedTokens(tensor(ids)).detach().clone());
        register_parameter("embeddings", _embeddings);
    }

    public override Tensor InputEmbeddings() => _embeddings;

    /// <summary>The init text's tokens cycled to the wanted length, or seeded random vocabulary ids.</summary>
    internal static long[] InitTokens(PromptEncoderSettings settings, LanguageModel model, Generator random)
    {
        var text = model.Tokenizer.Encode(settings.InitText);
        if (text.Count == 0)
            return randint(model.Tokenizer.VocabularySize, [settings.VirtualTokens], generator: random).data<long>().ToArray();
        return Enumerable.Range(0, settings.VirtualTokens).Select(i => (long)text[i % text.Count]).ToArray();
    }
}
