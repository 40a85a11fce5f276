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
///
/// Precision follows PyTorch's bf16 autocast: every matrix product (the linear layers, attention,
/// the LM head) runs in <see cref="ComputeType"/>, while the residual stream, the LayerNorms (their
/// statistics and parameters) and the logits stay fp32. The residual stream carries the sum of every
/// layer's contribution and the gradient that reaches a prompt encoder at the input, so rounding it to
/// bf16's 8 bits at each of the 2·layers additions would compound; a LayerNorm's mean and variance
/// of hundreds of values need fp32 for the same reason; and log-softmax and the loss read small
/// differences between large logits. The weights are held in <see cref="WeightType"/>: bf16 for a
/// frozen model (half the memory), fp32 master weights when pretraining in bf16 (the products cast
/// them per step, so AdamW updates in fp32 and the gradients flow back through the casts in fp32).
/// </summary>
public sealed class Gpt : nn.Module
{
    readonly Embedding _wte;
    readonly Embedding _wpe;
    readonly Block[] _blocks;
    readonly LayerNorm _lnF;

    /// <param name="weightType">Float32 or BFloat16: the matrices and embeddings; LayerNorms are always fp32.</param>
    public Gpt(GptConfig config, ScalarType weightType = ScalarType.Float32) : base("gpt")
    {
        Config = config.Validated("model config");
        if (weightType is not (ScalarType.Float32 or ScalarType.BFloat16))
            throw new ArgumentException($"weights are held in Float32 or BFloat16, not {weightType}");
        WeightType = weightType;
        ComputeType = weightType;
        _wte = nn.Embedding(config.VocabSize, config.Embedding, dtype: weightType);
        _wpe = nn.Embedding(config.Positions, config.Embedding, dtype: weightType);
        _blocks = Enumerable.Range(0, config.Layers).Select(_ => new Block(config, weightType)).ToArray();
        _lnF = nn.LayerNorm(config.Embedding, config.LayerNormEpsilon);
        register_module("wte", _wte);
        register_module("wpe", _wpe);
        register_module("h", nn.ModuleList(_blocks));
        register_module("ln_f", _lnF);
    }

    public GptConfig Config { get; }

    public ScalarType WeightType { get; }

    /// <summary>Memory the weights take as held (bf16 matrices, fp32 LayerNorms).</summary>
    public long WeightBytes => parameters().Sum(p => p.numel() * p.ElementSize);

    /// <summary>The element type of the matrix products; bf16 over fp32 weights is mixed-precision training.</summary>
    public ScalarType ComputeType
    {
        get;
        set => field = value is ScalarType.Float32 or ScalarType.BFloat16 ? value
            : throw new ArgumentException($"the model computes in Float32 or BFloat16, not {value}");
    }

    /// <summary>Dropout applied in training mode (pretraining); checkpoints carry none.</summary>
    public double Dropout { get; set; }

    public Tensor TokenEmbedding => _wte.weight!;

    /// <summary>Word embeddings of token ids, [batch, length] → [batch, length, embedding], in fp32 (the residual stream's type).</summary>
    public Tensor EmbedTokens(Tensor ids) => _wte.forward(ids).to_type(ScalarType.Float32);

    /// <summary>Final (post ln_f) hidden states, [batch, length, embedding].</summary>
    /// <param name="wordEmbeddings">[batch, length, embedding]; position embeddings are added here.</param>
    /// <param name="cache">Keys/values of earlier positions (and any prefix); extended in place.</param>
    /// <param name="positionIds">[length] or [batch, length]; by default they continue from the cache.</param>
    /// <param name="attentionMask">[batch, cache length + length], nonzero where a key may be attended
    /// (left padding); combined with the causal mask.</param>
    /// <param name="computed">Only these positions of a right-padded batch are computed; the output is
    /// zero at the others.</param>
    public Tensor Forward(Tensor wordEmbeddings, KvCache? cache = null, Tensor? positionIds = null, Tensor? attentionMask = null, RowPrefixes? computed = null)
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

        var x = F.dropout(wordEmbeddings.to_type(ScalarType.Float32) + _wpe.forward(positionIds).to_type(ScalarType.Float32), Dropout, training);
        var layout = new Layout(wordEmbeddings.shape[0], length, computed);
        x = layout.PerToken(x);
        var hidden = HiddenKeys(length, past, attentionMask, wordEmbeddings.device);
        for (int i = 0; i < _blocks.Length; i++)
            x = _blocks[i].Forward(x, i, cache, hidden, training ? Dropout : 0, ComputeType, layout);
        cache?.Advance(length);
        return layout.Rectangular(_lnF.forward(x)).MoveToOuterDisposeScope();
    }

    /// <summary>Hidden states of token ids [batch, length]: <see cref="Forward"/> on their word embeddings.</summary>
    public Tensor ForwardTokens(Tensor ids, KvCache? cache = null) => Forward(EmbedTokens(ids), cache);

    /// <summary>The tied LM head: hidden states [..., embedding] → fp32 logits [..., vocabulary]
    /// (the product in <see cref="ComputeType"/>, what follows it in fp32).</summary>
    public Tensor LmHead(Tensor hidden) => Logits(hidden, _wte.weight!.to_type(ComputeType));

    /// <summary>Mean cross-entropy of hidden states [n, embedding] predicting targets [n] over the
    /// whole vocabulary, the logits taken a slice of positions at a time. A pretraining batch's
    /// logits are hundreds of MiB ([2048 × 50257] fp32 = 412 MiB, with as much again for their
    /// log-softmax and gradient); glibc maps every allocation above 32 MiB afresh, and the kernel's
    /// faulting-in and zeroing of those pages on every step cost more than the products themselves
    /// (4× at the bundled model's shape), while slices below it are reused from the heap.</summary>
    public Tensor NextTokenLoss(Tensor hidden, Tensor targets)
    {
        const long LogitsPerSlice = 4L << 20;
        long rows = hidden.shape[0], slice = Math.Max(1, LogitsPerSlice / Config.VocabSize);
        var head = _wte.weight!.to_type(ComputeType);
        Tensor? sum = null;
        for (long start = 0; start < rows; start += slice)
        {
            var range = TensorIndex.Slice(start, Math.Min(rows, start + slice));
            var part = F.cross_entropy(Logits(hidden[range], head), targets[range], reduction: nn.Reduction.Sum);
            sum = sum is null ? part : sum + part;
        }
        return sum! / rows;
    }

    /// <summary>The product in the compute type, the logits widened to fp32 for the softmax that follows.</summary>
    Tensor Logits(Tensor hidden, Tensor head) => F.linear(hidden.to_type(ComputeType), head).to_type(ScalarType.Float32);

    /// <summary>A linear layer in the compute type: a no-op cast when the weights are held in it.</summary>
    static Tensor Project(Linear linear, Tensor x, ScalarType compute) =>
        F.linear(x.to_type(compute), linear.weight!.to_type(compute), linear.bias?.to_type(compute));

    /// <summary>The batch's rectangle, and which of its positions the per-token tensors hold
    /// (all of them, [batch, length, …], or only some, packed as [n, …]).</summary>
    readonly record struct Layout(long Batch, long Length, RowPrefixes? Computed)
    {
        public Tensor Rectangular(Tensor x) => Computed is null ? x : Computed.Unpack(x);
        public Tensor PerToken(Tensor x) => Computed is null ? x : Computed.Pack(x);
    }

    /// <summary>True where a query may not attend a key: the future (causal over the cache and the new
    /// positions) and, with a padding mask, the padding. Each query keeps its own key so a fully
    /// padded row cannot produce NaN.</summary>
    static Tensor HiddenKeys(int length, int past, Tensor? attentionMask, Device device)
    {
        int total = past + length;
        var queryAt = arange(past, total, device: device).unsqueeze(1);
        var keyAt = arange(total, device: device).unsqueeze(0);
        var future = keyAt > queryAt;
        if (attentionMask is null) return future;
        if (attentionMask.dim() != 2 || attentionMask.shape[1] != total)
            throw new ArgumentException($"attention mask must be [batch, {total}], got [{string.Join(", ", attentionMask.shape)}]");
        var padding = attentionMask.eq(0).unsqueeze(1).unsqueeze(1);
        return (future | padding) & (keyAt != queryAt);
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
            // One parameter's fp32 draw at a time: left to the garbage collector, the draws of a
            // 345M model would hold twice its fp32 weights at once.
            using var scope = NewDisposeScope();
            if (name.EndsWith(".bias", StringComparison.Ordinal)) p.zero_();
            else if (name.Contains("ln_", StringComparison.Ordinal)) p.fill_(1);
            else p.copy_(randn(p.shape, generator: generator).mul_(name.EndsWith("c_proj.weight", StringComparison.Ordinal) ? residualStd : 0.02));
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
        public Tensor Forward(Tensor x, int layer, KvCache? cache, Tensor hidden, double dropout, ScalarType compute, Layout layout)
        {
            x = x + F.dropout(_attn.Forward(_ln1.forward(x), layer, cache, hidden, dropout, compute, layout), dropout, dropout > 0);
            return x + F.dropout(_mlp.Forward(_ln2.forward(x), compute), dropout, dropout > 0);
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

        /// <remarks>Attention is spelled out rather than libtorch's fused scaled_dot_product_attention:
        /// at the lengths p-tuning sees (tens of tokens) the two small products plus a softmax are
        /// several times faster, forward and backward, in bf16 and in fp32 (`bench engine` measures
        /// it), and the scores reach the softmax in fp32, where its exponentials and sum belong.</remarks>
        public Tensor Forward(Tensor x, int layer, KvCache? cache, Tensor hidden, double dropout, ScalarType compute, Layout layout)
        {
            long batch = layout.Batch, length = layout.Length;
            // c_attn's output is [q | k | v], each split into heads.
            var qkv = layout.Rectangular(Project(_cAttn, x, compute)).view(batch, length, 3, _heads, _headSize).permute(2, 0, 3, 1, 4);
            Tensor q = qkv[0], k = qkv[1], v = qkv[2];
            // A deep prompt's prefix is fp32 (it is trained); the cache widens to it, attention narrows back.
            if (cache is not null) (k, v) = cache.Append(layer, k, v);
            // Scalars held in a using: an implicitly converted one is only a handle to libtorch, and its
            // finalizer can free it mid-call when another thread's allocation runs the GC (seen in a
            // three-site simulation as a masked_fill whose fill value was garbage).
            using var scale = (1.0 / Math.Sqrt(_headSize)).ToScalar();
            using var minusInfinity = double.NegativeInfinity.ToScalar();
            var scores = q.matmul(k.to_type(compute).transpose(-1, -2)).to_type(ScalarType.Float32).mul(scale);
            var weights = F.dropout(scores.masked_fill(hidden, minusInfinity).softmax(-1), dropout, dropout > 0);
            var y = weights.to_type(compute).matmul(v.to_type(compute));
            return Project(_cProj, layout.PerToken(y.transpose(1, 2).reshape(batch, length, _heads * _headSize)), compute);
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

        public Tensor Forward(Tensor x, ScalarType compute)
        {
            var h = Project(_cFc, x, compute);
            h = _activation == GptActivation.GeluTanh ? F.gelu(h, GELU.Approximate.tanh) : F.gelu(h);
            return Project(_cProj, h, compute);
        }
    }
}
