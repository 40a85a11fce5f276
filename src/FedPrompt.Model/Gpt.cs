using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace FedPrompt.Model;

/// <summary>
/// GPT-2: token + learned position embeddings, pre-LayerNorm blocks of causal self-attention and a
/// GELU MLP, a final LayerNorm, and an LM head tied to the token embedding. Parameter names are
/// Hugging Face GPT-2's (wte, wpe, h.N.ln_1, h.N.attn.c_attn, …, ln_f) with Linear weights [out, in].
/// </summary>
public sealed class Gpt : Decoder
{
    readonly Embedding _wte;
    readonly Embedding _wpe;
    readonly Block[] _blocks;
    readonly LayerNorm _lnF;

    /// <param name="weightType">Float32 or BFloat16: the matrices and embeddings; LayerNorms are always fp32.</param>
    public Gpt(GptConfig config, ScalarType weightType = ScalarType.Float32) : base("gpt", config.Validated("model config"), weightType)
    {
        Config = config;
        _wte = nn.Embedding(config.VocabSize, config.Embedding, dtype: weightType);
        _wpe = nn.Embedding(config.Positions, config.Embedding, dtype: weightType);
        _blocks = Enumerable.Range(0, config.Layers).Select(_ => new Block(config, weightType)).ToArray();
        _lnF = nn.LayerNorm(config.Embedding, config.LayerNormEpsilon);
        register_module("wte", _wte);
        register_module("wpe", _wpe);
        register_module("h", nn.ModuleList(_blocks));
        register_module("ln_f", _lnF);
    }

    public new GptConfig Config { get; }

    protected override Embedding Embeddings => _wte;

    public override string CausalLmPrefix => "transformer.";

    protected override Tensor Layers(Tensor wordEmbeddings, Tensor positionIds, Pass pass)
    {
        var x = pass.Layout.PerToken(F.dropout(wordEmbeddings + _wpe.forward(positionIds).to_type(ScalarType.Float32), pass.Dropout, pass.Dropout > 0));
        for (int i = 0; i < _blocks.Length; i++)
            x = _blocks[i].Forward(x, i, pass);
        return _lnF.forward(x);
    }

    protected override bool IsNormWeight(string parameterName) => parameterName.Contains("ln_", StringComparison.Ordinal);

    protected override bool WritesTheResidualStream(string parameterName) => parameterName.EndsWith("c_proj.weight", StringComparison.Ordinal);

    sealed class Block : nn.Module
    {
        readonly LayerNorm _ln1;
        readonly Attention _attn;
        readonly LayerNorm _ln2;
        readonly Mlp _mlp;

        public Block(GptConfig config, ScalarType weightType) : base("block")
        {
            _ln1 = nn.LayerNorm(config.Embedding, config.LayerNormEpsilon);
            _attn = new Attention(config, weightType);
            _ln2 = nn.LayerNorm(config.Embedding, config.LayerNormEpsilon);
            _mlp = new Mlp(config, weightType);
            register_module("ln_1", _ln1);
            register_module("attn", _attn);
            register_module("ln_2", _ln2);
            register_module("mlp", _mlp);
        }

        /// <summary>x is the fp32 residual stream; each branch's output (in the compute type) is widened as it is added.</summary>
        public Tensor Forward(Tensor x, int layer, Pass pass)
        {
            x = x + F.dropout(_attn.Forward(_ln1.forward(x), layer, pass), pass.Dropout, pass.Dropout > 0);
            return x + F.dropout(_mlp.Forward(_ln2.forward(x), pass), pass.Dropout, pass.Dropout > 0);
        }
    }

    sealed class Attention : nn.Module
    {
        readonly Linear _cAttn;
        readonly Linear _cProj;
        readonly int _heads;
        readonly int _headSize;

        public Attention(GptConfig config, ScalarType weightType) : base("attn")
        {
            _heads = config.Heads;
            _headSize = config.HeadSize;
            _cAttn = nn.Linear(config.Embedding, 3 * config.Embedding, dtype: weightType);
            _cProj = nn.Linear(config.Embedding, config.Embedding, dtype: weightType);
            register_module("c_attn", _cAttn);
            register_module("c_proj", _cProj);
        }

        public Tensor Forward(Tensor x, int layer, Pass pass)
        {
            long batch = pass.Layout.Batch, length = pass.Layout.Length;
            // c_attn's output is [q | k | v], each split into heads.
            var qkv = pass.Layout.Rectangular(pass.Project(_cAttn, x)).view(batch, length, 3, _heads, _headSize).permute(2, 0, 3, 1, 4);
            Tensor q = qkv[0], k = qkv[1], v = qkv[2];
            // A deep prompt's prefix is fp32 (it is trained); the cache widens to it, attention narrows back.
            if (pass.Cache is not null) (k, v) = pass.Cache.Append(layer, k, v);
            var y = Attend(q, k, v, pass.Hidden, pass.Dropout, pass.Compute);
            return pass.Project(_cProj, pass.Layout.PerToken(y.transpose(1, 2).reshape(batch, length, _heads * _headSize)));
        }
    }

    sealed class Mlp : nn.Module
    {
        readonly Linear _cFc;
        readonly Linear _cProj;
        readonly GptActivation _activation;

        public Mlp(GptConfig config, ScalarType weightType) : base("mlp")
        {
            _activation = config.Activation;
            _cFc = nn.Linear(config.Embedding, config.InnerSize, dtype: weightType);
            _cProj = nn.Linear(config.InnerSize, config.Embedding, dtype: weightType);
            register_module("c_fc", _cFc);
            register_module("c_proj", _cProj);
        }

        public Tensor Forward(Tensor x, Pass pass)
        {
            var h = pass.Project(_cFc, x);
            h = _activation == GptActivation.GeluTanh ? F.gelu(h, GELU.Approximate.tanh) : F.gelu(h);
            return pass.Project(_cProj, h);
        }
    }
}
