using TorchSharp;
using static TorchSharp.torch;

namespace FedPrompt.Model;

/// <summary>How to pick each next token. Temperature 0 is greedy decoding; otherwise tokens are
/// sampled (seeded, so reproducible) after top-k and nucleus (top-p) filtering.</summary>
public sealed record GenerationOptions
{
    public int MaxNewTokens { get; init; } = 32;
    public double Temperature { get; init; }
    public int TopK { get; init; }
    public double TopP { get; init; } = 1.0;
    public long Seed { get; init; }
    public bool StopAtEndOfText { get; init; } = true;

    public GenerationOptions Validated()
    {
        if (MaxNewTokens < 0) throw new ArgumentException($"max new tokens must be ≥ 0 (got {MaxNewTokens})");
        if (Temperature < 0) throw new ArgumentException($"temperature must be ≥ 0 (got {Temperature})");
        if (TopK < 0) throw new ArgumentException($"top-k must be ≥ 0 (got {TopK})");
        if (TopP is <= 0 or > 1) throw new ArgumentException($"top-p must be in (0, 1] (got {TopP})");
        return this;
    }
}

/// <summary>Autoregressive continuation with a KV cache: one forward over the prompt, then one position per step.</summary>
public static class Generation
{
    /// <summary>Continues a prompt given as word embeddings [1, length, embedding] — so prompts may carry
    /// virtual tokens — optionally after a prefix already in <paramref name="cache"/>. Only ids the
    /// tokenizer has are produced (Megatron's padding rows never are), and any of its end-of-text ids
    /// ends the continuation (Llama 3 and Qwen have several). <paramref name="adapters"/> (LoRA) apply
    /// at every step.</summary>
    public static List<int> Continue(Decoder model, Tensor promptEmbeddings, TextTokenizer tokenizer, GenerationOptions options, KvCache? cache = null,
        ILinearAdapters? adapters = null)
    {
        options.Validated();
        if (promptEmbeddings.shape[0] != 1) throw new ArgumentException("generation takes one prompt at a time");
        var generated = new List<int>();
        if (options.MaxNewTokens == 0) return generated;
        int promptLength = (int)promptEmbeddings.shape[1];
        int available = model.Config.Positions - (cache?.NextPosition ?? 0) - promptLength;
        if (available < 0)
            throw new ArgumentException($"the prompt takes {promptLength + (cache?.NextPosition ?? 0)} positions; the model has {model.Config.Positions}");
        int steps = Math.Min(options.MaxNewTokens, available + 1);

        using var noGrad = no_grad();
        var ownCache = cache is null;
        cache ??= new KvCache(model.Config.Layers);
        var random = options.Temperature > 0 ? new Generator((ulong)options.Seed) : null;
        try
        {
            var input = promptEmbeddings;
            for (int step = 0; step < steps; step++)
            {
                using var scope = NewDisposeScope();
                var hidden = model.Forward(input, cache, adapters: adapters);
                var logits = model.LmHead(hidden[0, -1])[..tokenizer.VocabularySize];
                int next = random is null ? (int)logits.argmax().item<long>() : Sample(logits, options, random);
                generated.Add(next);
                if (options.StopAtEndOfText && tokenizer.StopIds.Contains(next)) break;
                if (step + 1 < steps)
                    input = model.EmbedTokens(tensor(new long[] { next }).unsqueeze(0)).MoveToOuterDisposeScope();
            }
        }
        finally
        {
            if (ownCache) cache.Dispose();
        }
        return generated;
    }

    /// <summary>Continues a tokenized prompt.</summary>
    public static List<int> Continue(LanguageModel model, IReadOnlyList<int> prompt, GenerationOptions options)
    {
        if (prompt.Count == 0) throw new ArgumentException("the prompt is empty");
        using var scope = NewDisposeScope();
        var ids = tensor(prompt.Select(i => (long)i).ToArray()).unsqueeze(0);
        return Continue(model.Network, model.Network.EmbedTokens(ids), model.Tokenizer, options);
    }

    static int Sample(Tensor logits, GenerationOptions options, Generator random)
    {
        var scaled = logits / options.Temperature;
        if (options.TopK > 0 && options.TopK < scaled.shape[0])
        {
            var kth = scaled.topk(options.TopK).values[-1];
            using var minusInfinity = double.NegativeInfinity.ToScalar(); // held until the call returns: see Gpt's attention
            scaled = scaled.masked_fill(scaled < kth, minusInfinity);
        }
        var probabilities = scaled.softmax(0);
        if (options.TopP < 1)
        {
            var (sorted, order) = probabilities.sort(descending: true);
            // Keep the smallest set of most likely tokens whose mass reaches top-p (always the first).
            var before = sorted.cumsum(0) - sorted;
            var drop = zeros_like(probabilities, dtype: ScalarType.Bool).scatter(0, order, before >= options.TopP);
            probabilities = probabilities.masked_fill(drop, 0);
            probabilities = probabilities / probabilities.sum();
        }
        return (int)multinomial(probabilities, 1, generator: random).item<long>();
    }
}
