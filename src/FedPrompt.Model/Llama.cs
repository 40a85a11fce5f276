using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace FedPrompt.Model;

/// <summary>
/// The Llama family (Llama 2/3.x, SmolLM2, TinyLlama, Mistral, Qwen2.5, Qwen3): token embeddings with
/// no position table, pre-RMSNorm blocks of rotary-position attention and a SwiGLU MLP, a final
/// RMSNorm and an LM head, tied or not. Attention may share each key/value head among a group of query
/// heads (GQA); Qwen2 adds biases to q, k and v, Qwen3 normalises each head's queries and keys, Mistral
/// may look back only a window. Parameter names are Hugging Face's (model.embed_tokens,
/// model.layers.N.self_attn.q_proj, …, model.norm, lm_head), so a checkpoint maps one to one.
/// </summary>
public sealed class Llama : Decoder
{
    readonly Body _model;
    readonly Linear? _lmHead;
    readonly RotaryPositions _rotary;

    public Llama(LlamaConfig config, ScalarType weightType = ScalarType.Float32) : base("llama", config.Validated("model config"), weightType)
    {
        Config = config;
        _rotary = new RotaryPositions(config);
        _model = new Body(config, weightType);
        register_module("model", _model);
        if (!config.TiedEmbeddings)
        {
            _lmHead = nn.Linear(config.Embedding, config.VocabSize, hasBias: false, dtype: weightType);
            register_module("lm_head", _lmHead);
        }
    }

    public new LlamaConfig Config { get; }

    protected override Embedding Embeddings => _model.EmbedTokens;

    protected override Tensor HeadWeight => _lmHead?.weight ?? TokenEmbedding;

    protected override int? AttentionSpan => Config.SlidingWindow;

    protected override Tensor Layers(Tensor wordEmbeddings, Tensor positionIds, Pass pass)
    {
        var x = pass.Layout.PerToken(F.dropout(wordEmbeddings, pass.Dropout, pass.Dropout > 0));
        var rotation = _rotary.At(positionIds);
        for (int i = 0; i < _model.Blocks.Length; i++)
            x = _model.Blocks[i].Forward(x, i, rotation, pass);
        return _model.Norm.forward(x);
    }

    protected override bool IsNormWeight(string parameterName) => parameterName.EndsWith("norm.weight", StringComparison.Ordinal);

    protected override bool WritesTheResidualStream(string parameterName) =>
        parameterName.EndsWith("o_proj.weight", StringComparison.Ordinal) || parameterName.EndsWith("down_proj.weight", StringComparison.Ordinal);

    /// <summary>Hugging Face's "model." level: everything but the LM head.</summary>
    sealed class Body : nn.Module
    {
        public Body(LlamaConfig config, ScalarType weightType) : base("model")
        {
            EmbedTokens = nn.Embedding(config.VocabSize, config.Embedding, dtype: weightType);
            Blocks = Enumerable.Range(0, config.Layers).Select(_ => new Block(config, weightType)).ToArray();
            Norm = new RmsNorm(config.Embedding, config.RmsNormEpsilon);
            register_module("embed_tokens", EmbedTokens);
            register_module("layers", nn.ModuleList(Blocks));
            register_module("norm", Norm);
        }

        public Embedding EmbedTokens { get; }
        public Block[] Blocks { get; }
        public RmsNorm Norm { get; }
    }

    sealed class Block : nn.Module
    {
        readonly RmsNorm _inputNorm;
        readonly Attention _attention;
        readonly RmsNorm _postAttentionNorm;
        readonly Mlp _mlp;

        public Block(LlamaConfig config, ScalarType weightType) : base("block")
        {
            _inputNorm = new RmsNorm(config.Embedding, config.RmsNormEpsilon);
            _attention = new Attention(config, weightType);
            _postAttentionNorm = new RmsNorm(config.Embedding, config.RmsNormEpsilon);
            _mlp = new Mlp(config, weightType);
            register_module("input_layernorm", _inputNorm);
            register_module("self_attn", _attention);
            register_module("post_attention_layernorm", _postAttentionNorm);
            register_module("mlp", _mlp);
        }

        /// <summary>x is the fp32 residual stream; each branch's output (in the compute type) is widened as it is added.</summary>
        public Tensor Forward(Tensor x, int layer, Rotation rotation, Pass pass)
        {
            x = x + F.dropout(_attention.Forward(_inputNorm.forward(x), layer, rotation, pass), pass.Dropout, pass.Dropout > 0);
            return x + F.dropout(_mlp.Forward(_postAttentionNorm.forward(x), pass), pass.Dropout, pass.Dropout > 0);
        }
    }

    sealed class Attention : nn.Module
    {
        readonly Linear _q, _k, _v, _o;
        readonly RmsNorm? _qNorm, _kNorm;
        readonly int _heads, _kvHeads, _headSize;

        public Attention(LlamaConfig config, ScalarType weightType) : base("self_attn")
        {
            (_heads, _kvHeads, _headSize) = (config.Heads, config.KvHeads, config.HeadSize);
            _q = nn.Linear(config.Embedding, _heads * _headSize, hasBias: config.QkvBias, dtype: weightType);
            _k = nn.Linear(config.Embedding, _kvHeads * _headSize, hasBias: config.QkvBias, dtype: weightType);
            _v = nn.Linear(config.Embedding, _kvHeads * _headSize, hasBias: config.QkvBias, dtype: weightType);
            _o = nn.Linear(_heads * _headSize, config.Embedding, hasBias: config.OutputBias, dtype: weightType);
            register_module("q_proj", _q);
            register_module("k_proj", _k);
            register_module("v_proj", _v);
            register_module("o_proj", _o);
            if (config.QkNorm)
            {
                _qNorm = new RmsNorm(_headSize, config.RmsNormEpsilon);
                _kNorm = new RmsNorm(_headSize, config.RmsNormEpsilon);
                register_module("q_norm", _qNorm);
                register_module("k_norm", _kNorm);
            }
        }

        public Tensor Forward(Tensor x, int layer, Rotation rotation, Pass pass)
        {
            long batch = pass.Layout.Batch, length = pass.Layout.Length;
            long queryWidth = _heads * _headSize, kvWidth = _kvHeads * _headSize;
            // The three products run on the packed positions; one scatter makes them rectangular.
            var qkv = pass.Layout.Rectangular(cat([pass.Project(_q, x), pass.Project(_k, x), pass.Project(_v, x)], -1));
            var q = qkv[.., .., ..(int)queryWidth].view(batch, length, _heads, _headSize);
            var k = qkv[.., .., (int)queryWidth..(int)(queryWidth + kvWidth)].view(batch, length, _kvHeads, _headSize);
            var v = qkv[.., .., (int)(queryWidth + kvWidth)..].reshape(batch, length, _kvHeads, _headSize).transpose(1, 2);
            if (_qNorm is not null)
            {
                q = _qNorm.forward(q);
                k = _kNorm!.forward(k);
            }
            q = rotation.Apply(q.transpose(1, 2)).to_type(pass.Compute);
            k = rotation.Apply(k.transpose(1, 2)).to_type(pass.Compute);
            // The cache holds keys already rotated; a deep prompt's prefix keys carry no position.
            if (pass.Cache is not null) (k, v) = pass.Cache.Append(layer, k, v);
            var y = Attend(q, k, v, pass.Hidden, pass.Dropout, pass.Compute);
            return pass.Project(_o, pass.Layout.PerToken(y.transpose(1, 2).reshape(batch, length, queryWidth)));
        }
    }

    sealed class Mlp : nn.Module
    {
        readonly Linear _gate, _up, _down;

        public Mlp(LlamaConfig config, ScalarType weightType) : base("mlp")
        {
            _gate = nn.Linear(config.Embedding, config.Inner, hasBias: false, dtype: weightType);
            _up = nn.Linear(config.Embedding, config.Inner, hasBias: false, dtype: weightType);
            _down = nn.Linear(config.Inner, config.Embedding, hasBias: false, dtype: weightType);
            register_module("gate_proj", _gate);
            register_module("up_proj", _up);
            register_module("down_proj", _down);
        }

        /// <summary>SwiGLU: the gate's SiLU scales the up projection, element by element.</summary>
        public Tensor Forward(Tensor x, Pass pass) =>
            pass.Project(_down, F.silu(pass.Project(_gate, x)) * pass.Project(_up, x));
    }
}
