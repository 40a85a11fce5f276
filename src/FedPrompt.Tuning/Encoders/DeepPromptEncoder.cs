using FedPrompt.Formats.Settings;
using FedPrompt.Model;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace FedPrompt.Tuning.Encoders;

/// <summary>
/// Deep prompt tuning (P-Tuning v2 / prefix tuning): P trainable key and value positions in front of
/// every layer's attention. Small models need the prompt inside every layer — input-level virtual
/// tokens alone barely move a 6-layer GPT. The prefixes start as the frozen model's own keys and
/// values on a few real tokens (the init text), which trains far better than random ones; with
/// <see cref="PromptEncoderSettings.Reparameterize"/> they come from a small MLP instead.
/// </summary>
public sealed class DeepPromptEncoder : PromptEncoder
{
    readonly int _layers, _heads, _headSize, _positions;
    readonly Parameter? _keys;
    readonly Parameter? _values;
    readonly Embedding? _embedding;
    readonly Sequential? _mlpHead;

    public DeepPromptEncoder(PromptEncoderSettings settings, LanguageModel model) : base("deep_encoder", settings)
    {
        var config = model.Config;
        // Keys and values as attention holds them: grouped-query models have fewer key/value heads than query heads.
        (_layers, _heads, _headSize, _positions) = (config.Layers, config.KvHeads, config.HeadSize, settings.VirtualTokens);
        if (settings.Reparameterize)
        {
            _embedding = nn.Embedding(_positions, config.Embedding);
            DefaultInitialisation.Apply(_embedding, Random);
            _embedding.weight!.copy_(model.Network.EmbedTokens(tensor(EmbeddingPromptEncoder.InitTokens(settings, model, Random))));
            _mlpHead = nn.Sequential(nn.Linear(config.Embedding, settings.HiddenSize), nn.Tanh(), nn.Linear(settings.HiddenSize, 2L * _layers * _heads * _headSize));
            DefaultInitialisation.Apply(_mlpHead, Random);
            register_module("embedding", _embedding);
            register_module("mlp_head", _mlpHead);
        }
        else
        {
            var (keys, values) = settings.InitText.Length > 0 ? ModelOwn(settings, model) : RandomPrefixes();
            _keys = new Parameter(keys);
            _values = new Parameter(values);
            register_parameter("prefix_keys", _keys);
            register_parameter("prefix_values", _values);
        }
    }

    /// <summary>[layers, kv heads, P, head size] keys and values the frozen model computes on the init text.</summary>
    (Tensor Keys, Tensor Values) ModelOwn(PromptEncoderSettings settings, LanguageModel model)
    {
        using var noGrad = no_grad();
        using var cache = new KvCache(_layers);
        model.Network.ForwardTokens(tensor(EmbeddingPromptEncoder.InitTokens(settings, model, Random)).unsqueeze(0), cache);
        var keys = stack(Enumerable.Range(0, _layers).Select(l => cache[l].Key[0]).ToArray());
        var values = stack(Enumerable.Range(0, _layers).Select(l => cache[l].Value[0]).ToArray());
        return (keys.detach().to_type(ScalarType.Float32).clone(), values.detach().to_type(ScalarType.Float32).clone());
    }

    (Tensor Keys, Tensor Values) RandomPrefixes() =>
        (randn([_layers, _heads, _positions, _headSize], generator: Random), randn([_layers, _heads, _positions, _headSize], generator: Random));

    public override KvCache Prefix(int batch)
    {
        var (keys, values) = Prefixes();
        return KvCache.FromPrefix(Enumerable.Range(0, _layers)
            .Select(l => (keys[l].unsqueeze(0).expand(batch, -1, -1, -1), values[l].unsqueeze(0).expand(batch, -1, -1, -1)))
            .ToList());
    }

    (Tensor Keys, Tensor Values) Prefixes()
    {
        if (_keys is not null) return (_keys, _values!);
        // [P, layers·2·d] → [P, layers, 2, heads, head size] → keys/values [layers, heads, P, head size]
        var flat = _mlpHead!.forward(_embedding!.weight!).view(_positions, _layers, 2, _heads, _headSize);
        var perLayer = flat.permute(2, 1, 3, 0, 4);
        return (perLayer[0], perLayer[1]);
    }
}
