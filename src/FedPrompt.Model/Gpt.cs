using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace FedPrompt.Model;

/// <summary>
/// GPT-2: token + learned position embeddings, pre-LayerNorm blocks of causal self-attention and a
/// GELU MLP, a final LayerNorm, and an LM head tied to the token embedding. Parameter names are
/// Hugging Face GPT-2's (wte, wpe, h.N.ln_1, h.N.attn.c_attn, …, ln_f) with Linear weights [out, in].
/// The forward pass takes word embeddings rather than ids so that p-tuning can hand in sequences
/// whose virtual positions carry a prompt encoder's output, and returns hidden states so that
/// callers apply the LM head only where they need logits.
/// </summary>
public sealed class Gpt : nn.Module
{
    readonly Embedding _wte;
    readonly Embedding _wpe;
    readonly Block[] _blocks;
    readonly LayerNorm _lnF;

    public Gpt(GptConfig config) : base("gpt")
    {
        Config = config.Validated("model config");
        _wte = nn.Embedding(config.VocabSize, config.Embedding);
        _wpe = nn.Embedding(config.Positions, config.Embedding);
        _blocks = Enumerable.Range(0, config.Layers).Select(_ => new Block(config)).ToArray();
        _lnF = nn.LayerNorm(config.Embedding, config.LayerNormEpsilon);
        register_module("wte", _wte);
        register_module("wpe", _wpe);
        register_module("h", nn.ModuleList(_blocks));
        register_module("ln_f", _lnF);
    }

    public GptConfig Config { get; }

    /// <summary>Dropout applied in training mode (pretraining); checkpoints carry none.</summary>
    public double Dropout { get; set; }

    public Tensor TokenEmbedding => _wte.weight!;

    /// <summary>Word embeddings of token ids, [batch, length] → [batch, length, embedding].</summary>
    public Tensor EmbedTokens(Tensor ids) => _wte.forward(ids);

    /// <summary>Final (post ln_f) hidden states, [batch, length, embedding].</summary>
    /// <param name="wordEmbeddings">[batch, length, embedding]; position embeddings are added here.</param>
    /// <param name="cache">Keys/values of earlier positions (and any prefix); extended in place.</param>
    /// <param name="positionIds">[length] or [batch, length]; by default they continue from the cache.</param>
    /// <param name="attentionMask">[batch, cache length + length], nonzero where a key may be attended
    /// (left padding); combined with the causal mask.</param>
    public Tensor Forward(Tensor wordEmbeddings, KvCache? cache = null, Tensor? positionIds = null, Tensor? attentionMask = null)
    {
        if (wordEmbeddings.dim() != 3 || wordEmbeddings.shape[2] != Config.Embedding)
            throw new ArgumentException($"word embeddings must be [batch, length, {Config.Embedding}], got [{string.Join(", ", wordEmbeddings.shape)}]");
        if (cache is not null && cache.Layers != Config.Layers)
            throw new ArgumentException($"the cache has {cache.Layers} layers, the model {Config.Layers}");
        using var scope = NewDisposeScope();
        int length = (int)wordEmbeddings.shape[1];
        int past = cache?.Length ?? 0;
        int firstPosition = cache?.NextPosition ?? 0;
        if (positionIds is null)
        {
            if (firstPosition + length > Config.Positions)
                throw new ArgumentException($"{firstPosition + length} positions requested; the model has {Config.Positions}");
            positionIds = arange(firstPosition, firstPosition + length, dtype: ScalarType.Int64, device: wordEmbeddings.device);
        }
        else if (positionIds.numel() > 0 && positionIds.max().item<long>() >= Config.Positions)
        {
            throw new ArgumentException($"position {positionIds.max().item<long>()} requested; the model has {Config.Positions}");
        }

        var x = F.dropout(wordEmbeddings + _wpe.forward(positionIds), Dropout, training);
        var mask = AttentionMask(length, past, attentionMask, wordEmbeddings.device);
        for (int i = 0; i < _blocks.Length; i++)
            x = _blocks[i].Forward(x, i, cache, mask, training ? Dropout : 0);
        cache?.Advance(length);
        return _lnF.forward(x).MoveToOuterDisposeScope();
    }

    /// <summary>Hidden states of token ids [batch, length]: <see cref="Forward"/> on their word embeddings.</summary>
    public Tensor ForwardTokens(Tensor ids, KvCache? cache = null) => Forward(EmbedTokens(ids), cache);

    /// <summary>The tied LM head: hidden states [..., embedding] → logits [..., vocabulary].</summary>
    public Tensor LmHead(Tensor hidden) => F.linear(hidden, _wte.weight!);

    /// <summary>Null when plain causal attention suffices (the fast path); otherwise a boolean mask,
    /// true where a query may attend a key: causal over the cache and the new positions, restricted
    /// by the padding mask. Each query keeps its own key so a fully padded row cannot produce NaN.</summary>
    static Tensor? AttentionMask(int length, int past, Tensor? attentionMask, Device device)
    {
        if (past == 0 && attentionMask is null) return null;
        int total = past + length;
        var queryAt = arange(past, total, device: device).unsqueeze(1);
        var keyAt = arange(total, device: device).unsqueeze(0);
        var mask = keyAt <= queryAt;
        if (attentionMask is null) return mask;
        if (attentionMask.dim() != 2 || attentionMask.shape[1] != total)
            throw new ArgumentException($"attention mask must be [batch, {total}], got [{string.Join(", ", attentionMask.shape)}]");
        var keep = attentionMask.to_type(ScalarType.Bool).unsqueeze(1).unsqueeze(1);
        return (mask & keep) | (keyAt == queryAt);
    }

    /// <summary>GPT-2's initialisation for training from scratch: N(0, 0.02), residual projections
    /// scaled by 1/√(2·layers) so the residual stream's variance does not grow with depth.</summary>
    public void InitializeForPretraining(long seed)
    {
        using var noGrad = no_grad();
        // Draws go through randn with an explicit generator: TorchSharp 0.107's nn.init.normal_
        // ignores the generator it is given, which would make a seeded model depend on the global RNG.
        var generator = new Generator((ulong)seed);
        double residualStd = 0.02 / Math.Sqrt(2.0 * Config.Layers);
        foreach (var (name, p) in named_parameters())
        {
            if (name.EndsWith(".bias", StringComparison.Ordinal)) p.zero_();
            else if (name.Contains("ln_", StringComparison.Ordinal)) p.fill_(1);
            else p.copy_(randn(p.shape, generator: generator) * (name.EndsWith("c_proj.weight", StringComparison.Ordinal) ? residualStd : 0.02));
        }
    }

    /// <summary>Freezes every weight: p-tuning trains only its prompt encoder, and frozen weights
    /// never hold gradient buffers.</summary>
    public void Freeze()
    {
        foreach (var p in parameters()) p.requires_grad = false;
    }

    sealed class Block : nn.Module
    {
        readonly LayerNorm _ln1;
        readonly Attention _attn;
        readonly LayerNorm _ln2;
        readonly Mlp _mlp;

        public Block(GptConfig config) : base("block")
        {
            _ln1 = nn.LayerNorm(config.Embedding, config.LayerNormEpsilon);
            _attn = new Attention(config);
            _ln2 = nn.LayerNorm(config.Embedding, config.LayerNormEpsilon);
            _mlp = new Mlp(config);
            register_module("ln_1", _ln1);
            register_module("attn", _attn);
            register_module("ln_2", _ln2);
            register_module("mlp", _mlp);
        }

        public Tensor Forward(Tensor x, int layer, KvCache? cache, Tensor? mask, double dropout)
        {
            x = x + F.dropout(_attn.Forward(_ln1.forward(x), layer, cache, mask, dropout), dropout, dropout > 0);
            return x + F.dropout(_mlp.Forward(_ln2.forward(x)), dropout, dropout > 0);
        }
    }

    sealed class Attention : nn.Module
    {
        readonly Linear _cAttn;
        readonly Linear _cProj;
        readonly int _heads;
        readonly int _headSize;

        public Attention(GptConfig config) : base("attn")
        {
            _heads = config.Heads;
            _headSize = config.HeadSize;
            _cAttn = nn.Linear(config.Embedding, 3 * config.Embedding);
            _cProj = nn.Linear(config.Embedding, config.Embedding);
            register_module("c_attn", _cAttn);
            register_module("c_proj", _cProj);
        }

        public Tensor Forward(Tensor x, int layer, KvCache? cache, Tensor? mask, double dropout)
        {
            long batch = x.shape[0], length = x.shape[1];
            // c_attn's output is [q | k | v], each split into heads.
            var qkv = _cAttn.forward(x).view(batch, length, 3, _heads, _headSize).permute(2, 0, 3, 1, 4);
            Tensor q = qkv[0], k = qkv[1], v = qkv[2];
            if (cache is not null) (k, v) = cache.Append(layer, k, v);
            var y = F.scaled_dot_product_attention(q, k, v, mask, dropout, is_casual: mask is null);
            return _cProj.forward(y.transpose(1, 2).reshape(batch, length, _heads * _headSize));
        }
    }

    sealed class Mlp : nn.Module
    {
        readonly Linear _cFc;
        readonly Linear _cProj;
        readonly GptActivation _activation;

        public Mlp(GptConfig config) : base("mlp")
        {
            _activation = config.Activation;
            _cFc = nn.Linear(config.Embedding, config.InnerSize);
            _cProj = nn.Linear(config.InnerSize, config.Embedding);
            register_module("c_fc", _cFc);
            register_module("c_proj", _cProj);
        }

        public Tensor Forward(Tensor x)
        {
            var h = _cFc.forward(x);
            h = _activation == GptActivation.GeluTanh ? F.gelu(h, GELU.Approximate.tanh) : F.gelu(h);
            return _cProj.forward(h);
        }
    }
}
