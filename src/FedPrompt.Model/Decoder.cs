using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace FedPrompt.Model;

/// <summary>
/// A decoder-only language model as p-tuning, generation and pretraining use it: word embeddings in,
/// final hidden states out, the LM head applied only where a caller needs logits. <see cref="Gpt"/>
/// and <see cref="Llama"/> differ only inside their layers; the causal mask, the attention softmax,
/// the precision split and the LM head are here, once.
///
/// Precision follows PyTorch's bf16 autocast: every matrix product (the linear layers, attention,
/// the LM head) runs in <see cref="ComputeType"/>, while the residual stream, the norms (their
/// statistics and parameters) and the logits stay fp32. The residual stream carries the sum of every
/// layer's contribution and the gradient that reaches a prompt encoder at the input, so rounding it to
/// bf16's 8 bits at each of the 2·layers additions would compound; a norm's statistics over hundreds
/// of values need fp32 for the same reason; and log-softmax and the loss read small differences
/// between large logits. The weights are held in <see cref="WeightType"/>: bf16 for a frozen model
/// (half the memory), fp32 master weights when pretraining in bf16 (the products cast them per step,
/// so AdamW updates in fp32 and the gradients flow back through the casts in fp32).
/// </summary>
public abstract class Decoder : nn.Module
{
    protected Decoder(string name, DecoderConfig config, ScalarType weightType) : base(name)
    {
        if (weightType is not (ScalarType.Float32 or ScalarType.BFloat16))
            throw new ArgumentException($"weights are held in Float32 or BFloat16, not {weightType}");
        Config = config;
        WeightType = weightType;
        ComputeType = weightType;
    }

    /// <summary>The network a config describes, its weights uninitialised.</summary>
    /// <param name="weightType">Float32 or BFloat16: the matrices and embeddings; norms are always fp32.</param>
    public static Decoder Create(DecoderConfig config, ScalarType weightType = ScalarType.Float32) => config switch
    {
        GptConfig gpt => new Gpt(gpt, weightType),
        LlamaConfig llama => new Llama(llama, weightType),
        _ => throw new NotSupportedException($"no decoder for {config.GetType().Name}"),
    };

    public DecoderConfig Config { get; }

    public ScalarType WeightType { get; }

    /// <summary>Memory the weights take as held (bf16 matrices, fp32 norms).</summary>
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

    /// <summary>The token embedding [vocabulary, embedding] as held.</summary>
    public Tensor TokenEmbedding => Embeddings.weight!;

    protected abstract Embedding Embeddings { get; }

    /// <summary>The LM head's [vocabulary, embedding] weight: the token embedding when tied.</summary>
    protected virtual Tensor HeadWeight => TokenEmbedding;

    /// <summary>Word embeddings of token ids, [batch, length] → [batch, length, embedding], in fp32 (the residual stream's type).</summary>
    public Tensor EmbedTokens(Tensor ids) => Embeddings.forward(ids).to_type(ScalarType.Float32);

    /// <summary>Final (post-norm) hidden states, [batch, length, embedding].</summary>
    /// <param name="wordEmbeddings">[batch, length, embedding].</param>
    /// <param name="cache">Keys/values of earlier positions (and any prefix); extended in place.</param>
    /// <param name="positionIds">[length] or [batch, length]; by default they continue from the cache.</param>
    /// <param name="attentionMask">[batch, cache length + length], nonzero where a key may be attended
    /// (left padding); combined with the causal mask.</param>
    /// <param name="computed">Only these positions of a right-padded batch are computed; the output is
    /// zero at the others.</param>
    /// <param name="adapters">Additions to the linear layers' outputs for this pass (LoRA).</param>
    public Tensor Forward(Tensor wordEmbeddings, KvCache? cache = null, Tensor? positionIds = null, Tensor? attentionMask = null, RowPrefixes? computed = null,
        ILinearAdapters? adapters = null)
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
        var layout = new Layout(wordEmbeddings.shape[0], length, computed);
        var hidden = HiddenKeys(length, past, attentionMask, wordEmbeddings.device, AttentionSpan);
        var pass = new Pass(layout, cache, hidden, training ? Dropout : 0, ComputeType, adapters, adapters is null ? null : LinearPaths);
        var x = Layers(wordEmbeddings.to_type(ScalarType.Float32), positionIds, pass);
        cache?.Advance(length);
        return layout.Rectangular(x).MoveToOuterDisposeScope();
    }

    /// <summary>The network between the word embeddings (fp32, rectangular) and the final norm's output
    /// (per token, as the pass's layout holds them).</summary>
    protected abstract Tensor Layers(Tensor wordEmbeddings, Tensor positionIds, Pass pass);

    /// <summary>Where this network's module paths sit inside Hugging Face's causal-LM model, as PEFT names
    /// them: GPT2LMHeadModel keeps GPT-2 under "transformer."; the Llama family's paths start at its top.</summary>
    public virtual string CausalLmPrefix => "";

    /// <summary>The linear layers inside the blocks, in the network's order: what adapters may change.</summary>
    public IReadOnlyList<AdaptableLinear> AdaptableLinears => Linears.Value.List;

    IReadOnlyDictionary<Linear, string> LinearPaths => Linears.Value.Paths;

    /// <summary>Found once the subclass has registered its modules, hence lazily.</summary>
    Lazy<BlockLinears> Linears => field ??= new(() => new BlockLinears(this));

    /// <summary>How many positions back a query sees (a sliding window); null is the whole past.</summary>
    protected virtual int? AttentionSpan => null;

    /// <summary>Hidden states of token ids [batch, length]: <see cref="Forward"/> on their word embeddings.</summary>
    public Tensor ForwardTokens(Tensor ids, KvCache? cache = null) => Forward(EmbedTokens(ids), cache);

    /// <summary>The LM head: hidden states [..., embedding] → fp32 logits [..., vocabulary]
    /// (the product in <see cref="ComputeType"/>, what follows it in fp32).</summary>
    public Tensor LmHead(Tensor hidden) => Logits(hidden, HeadWeight.to_type(ComputeType));

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
        var head = HeadWeight.to_type(ComputeType);
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

    /// <summary>What one forward pass carries through the layers besides the activations.</summary>
    /// <param name="Hidden">Where a query may not attend a key (<see cref="HiddenKeys"/>).</param>
    /// <param name="Paths">The linear layers' module paths, where there are adapters to look them up for.</param>
    protected sealed record Pass(Layout Layout, KvCache? Cache, Tensor Hidden, double Dropout, ScalarType Compute, ILinearAdapters? Adapters,
        IReadOnlyDictionary<Linear, string>? Paths)
    {
        /// <summary>A linear layer in the compute type (a no-op cast when the weights are held in it),
        /// plus whatever the pass's adapters add to it.</summary>
        public Tensor Project(Linear linear, Tensor x)
        {
            var y = F.linear(x.to_type(Compute), linear.weight!.to_type(Compute), linear.bias?.to_type(Compute));
            return Adapters?.Addition(Paths![linear], x) is { } addition ? y + addition : y;
        }
    }

    /// <summary>The batch's rectangle, and which of its positions the per-token tensors hold
    /// (all of them, [batch, length, …], or only some, packed as [n, …]). Under causal attention
    /// nothing after a row's last needed position changes what is needed, so everything but attention
    /// runs on the packed positions only.</summary>
    protected readonly record struct Layout(long Batch, long Length, RowPrefixes? Computed)
    {
        public Tensor Rectangular(Tensor x) => Computed is null ? x : Computed.Unpack(x);
        public Tensor PerToken(Tensor x) => Computed is null ? x : Computed.Pack(x);
    }

    /// <summary>True where a query may not attend a key: the future (causal over the cache and the new
    /// positions), keys <paramref name="span"/> or more positions back, and, with a padding mask, the
    /// padding. Each query keeps its own key so a fully padded row cannot produce NaN.</summary>
    static Tensor HiddenKeys(int length, int past, Tensor? attentionMask, Device device, int? span)
    {
        int total = past + length;
        var queryAt = arange(past, total, device: device).unsqueeze(1);
        var keyAt = arange(total, device: device).unsqueeze(0);
        var hidden = keyAt > queryAt;
        if (span is { } window)
        {
            using var windowScalar = window.ToScalar(); // held: see Attend
            hidden = hidden | (queryAt - keyAt).ge(windowScalar);
        }
        if (attentionMask is null) return hidden;
        if (attentionMask.dim() != 2 || attentionMask.shape[1] != total)
            throw new ArgumentException($"attention mask must be [batch, {total}], got [{string.Join(", ", attentionMask.shape)}]");
        var padding = attentionMask.eq(0).unsqueeze(1).unsqueeze(1);
        return (hidden | padding) & (keyAt != queryAt);
    }

    /// <summary>Scaled dot-product attention of queries [batch, heads, length, head size] over keys and
    /// values [batch, kv heads, keys, head size]; each group of heads / kv heads queries shares one kv head.</summary>
    /// <remarks>Spelled out rather than libtorch's fused scaled_dot_product_attention: at the lengths
    /// p-tuning sees (tens of tokens) the two small products plus a softmax are several times faster,
    /// forward and backward, in bf16 and in fp32 (`bench engine` measures it), and the scores reach the
    /// softmax in fp32, where its exponentials and sum belong.</remarks>
    protected static Tensor Attend(Tensor q, Tensor k, Tensor v, Tensor hidden, double dropout, ScalarType compute)
    {
        long group = q.shape[1] / k.shape[1];
        if (group > 1)
        {
            k = k.repeat_interleave(group, dim: 1);
            v = v.repeat_interleave(group, dim: 1);
        }
        // Scalars held in a using: an implicitly converted one is only a handle to libtorch, and its
        // finalizer can free it mid-call when another thread's allocation runs the GC (seen in a
        // three-site simulation as a masked_fill whose fill value was garbage).
        using var scale = (1.0 / Math.Sqrt(q.shape[^1])).ToScalar();
        using var minusInfinity = double.NegativeInfinity.ToScalar();
        var scores = q.to_type(compute).matmul(k.to_type(compute).transpose(-1, -2)).to_type(ScalarType.Float32).mul(scale);
        var weights = F.dropout(scores.masked_fill(hidden, minusInfinity).softmax(-1), dropout, dropout > 0);
        return weights.to_type(compute).matmul(v.to_type(compute));
    }

    /// <summary>Initialisation for training from scratch (GPT-2's): N(0, 0.02), norms at one, biases at
    /// zero, and the projections that write into the residual stream scaled by 1/√(2·layers) so the
    /// stream's variance does not grow with depth.</summary>
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
            else if (IsNormWeight(name)) p.fill_(1);
            else p.copy_(randn(p.shape, generator: generator).mul_(WritesTheResidualStream(name) ? residualStd : 0.02));
        }
    }

    protected abstract bool IsNormWeight(string parameterName);
    protected abstract bool WritesTheResidualStream(string parameterName);

    /// <summary>Freezes every weight: p-tuning trains only its prompt encoder, and frozen weights
    /// never hold gradient buffers.</summary>
    public void Freeze()
    {
        foreach (var p in parameters()) p.requires_grad = false;
    }
}
