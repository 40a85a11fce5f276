using FedPrompt.Formats.Settings;
using FedPrompt.Testing;
using FedPrompt.Model;
using TorchSharp;
using static TorchSharp.torch;

namespace FedPrompt.Model.Tests;

/// <summary>The engine's behaviour, for each architecture in both precisions; bf16 comparisons allow
/// for its 8-bit products.</summary>
public class DecoderTests
{
    static Tensor Ids(params long[] ids) => tensor(ids).unsqueeze(0);

    public static TheoryData<Precision> Precisions => new() { Precision.Fp32, Precision.Bf16 };

    public static TheoryData<string, Precision> Architectures => new()
    {
        { "gpt", Precision.Fp32 }, { "gpt", Precision.Bf16 }, { "llama", Precision.Fp32 }, { "llama", Precision.Bf16 },
    };

    /// <summary>Relative tolerance of a computation done two ways: bf16 rounds each product's result to 2⁻⁹.</summary>
    static double Tolerance(Precision precision) => precision == Precision.Bf16 ? 3e-2 : 1e-4;

    [Theory]
    [MemberData(nameof(Architectures))]
    public void KvCacheGivesTheSameLogitsAsTheFullForward(string architecture, Precision precision)
    {
        using var model = TinyModels.Create(config: TinyModels.Architecture(architecture), precision: precision);
        var gpt = model.Network;
        using var noGrad = no_grad();
        var ids = Ids(464, 1664, 338, 27526, 352, 13, 20, 285);
        var full = gpt.LmHead(gpt.ForwardTokens(ids));

        using var cache = new KvCache(gpt.Config.Layers);
        var first = gpt.LmHead(gpt.ForwardTokens(ids[.., ..5], cache));
        var rest = Enumerable.Range(5, 3).Select(i => gpt.LmHead(gpt.ForwardTokens(ids[.., i..(i + 1)], cache))).ToList();
        var incremental = cat([first, .. rest], 1);

        Assert.Equal(8, cache.Length);
        Assert.True(incremental.allclose(full, rtol: Tolerance(precision), atol: Tolerance(precision) / 10), $"max diff {(incremental - full).abs().max().item<float>()}");
    }

    [Theory]
    [MemberData(nameof(Architectures))]
    public void AttentionIsCausal(string architecture, Precision precision)
    {
        using var model = TinyModels.Create(config: TinyModels.Architecture(architecture), precision: precision);
        var gpt = model.Network;
        using var noGrad = no_grad();
        var a = gpt.LmHead(gpt.ForwardTokens(Ids(10, 20, 30, 40, 50)));
        var b = gpt.LmHead(gpt.ForwardTokens(Ids(10, 20, 30, 41, 999)));
        Assert.True(a[0, ..3].allclose(b[0, ..3], rtol: Tolerance(precision) / 10, atol: Tolerance(precision) / 100), "changing later tokens changed earlier logits");
        Assert.False(a[0, 3].allclose(b[0, 3], rtol: Tolerance(precision), atol: Tolerance(precision) / 10), "the changed token had no effect");
    }

    [Theory]
    [MemberData(nameof(Precisions))]
    public void LmHeadIsTiedToTheTokenEmbedding(Precision precision)
    {
        using var model = TinyModels.Create(precision: precision);
        var gpt = (Gpt)model.Network;
        using var noGrad = no_grad();
        var hidden = randn(2, 3, gpt.Config.Embedding);
        var logits = gpt.LmHead(hidden);
        Assert.Equal(ScalarType.Float32, logits.dtype);
        Assert.True(logits.allclose(matmul(hidden, gpt.TokenEmbedding.to_type(ScalarType.Float32).t()), rtol: Tolerance(precision), atol: Tolerance(precision)));
        Assert.DoesNotContain(gpt.named_parameters(), p => p.name.Contains("lm_head"));
    }

    [Theory]
    [MemberData(nameof(Architectures))]
    public void LeftPaddingWithAnAttentionMaskDoesNotChangeTheRealTokens(string architecture, Precision precision)
    {
        using var model = TinyModels.Create(config: TinyModels.Architecture(architecture), precision: precision);
        var gpt = model.Network;
        using var noGrad = no_grad();
        var plain = gpt.LmHead(gpt.ForwardTokens(Ids(7, 8, 9)));
        var padded = Ids(50256, 50256, 7, 8, 9);
        var mask = tensor(new long[] { 0, 0, 1, 1, 1 }).unsqueeze(0);
        var positions = tensor(new long[] { 0, 0, 0, 1, 2 }).unsqueeze(0);
        var logits = gpt.LmHead(gpt.Forward(gpt.EmbedTokens(padded), positionIds: positions, attentionMask: mask));
        Assert.True(logits[0, 2..].allclose(plain[0], rtol: Tolerance(precision), atol: Tolerance(precision) / 10));
        Assert.False(logits.isnan().any().item<bool>());
    }

    [Theory]
    [MemberData(nameof(Architectures))]
    public void GradientsReachInputEmbeddingsAndPrefixesButNotTheFrozenWeights(string architecture, Precision precision)
    {
        using var model = TinyModels.Create(config: TinyModels.Architecture(architecture), precision: precision);
        var gpt = model.Network;
        var config = gpt.Config;
        var embeddings = gpt.EmbedTokens(Ids(1, 2, 3, 4)).detach().requires_grad_(true);
        var prefix = Enumerable.Range(0, config.Layers)
            .Select(_ => (randn(1, config.KvHeads, 3, config.HeadSize).requires_grad_(true), randn(1, config.KvHeads, 3, config.HeadSize).requires_grad_(true)))
            .ToList();
        using var cache = KvCache.FromPrefix(prefix);
        var loss = gpt.LmHead(gpt.Forward(embeddings, cache)).logsumexp(-1).sum();
        loss.backward();

        Assert.NotNull(embeddings.grad);
        Assert.All(prefix, p => Assert.True(p.Item1.grad is not null && p.Item1.grad.abs().sum().item<float>() > 0));
        Assert.All(prefix, p => Assert.True(p.Item2.grad is not null && p.Item2.grad.abs().sum().item<float>() > 0));
        Assert.All(gpt.parameters(), p => Assert.Null(p.grad));
        Assert.All(gpt.parameters(), p => Assert.False(p.requires_grad));
    }

    [Theory]
    [MemberData(nameof(Architectures))]
    public void ComputingRowPrefixesGivesTheSameHiddenStatesAndGradientsThere(string architecture, Precision precision)
    {
        using var model = TinyModels.Create(config: TinyModels.Architecture(architecture), precision: precision);
        var gpt = model.Network;
        var config = gpt.Config;
        int[] lengths = [5, 2, 0];
        var ids = tensor(new long[] { 3, 1, 4, 1, 5, 9, 2, 6, 5, 3, 5, 8, 9, 7, 9, 3, 2, 3 }).view(3, 6);
        var embeddings = gpt.EmbedTokens(ids).detach();
        var prefixValues = Enumerable.Range(0, 2 * config.Layers).Select(_ => randn(3, config.KvHeads, 2, config.HeadSize)).ToList();
        // The loss reads each row's computed positions only, so both ways must give it the same value and gradients.
        (Tensor Hidden, Tensor InputGrad, Tensor PrefixGrad) Run(RowPrefixes? computed)
        {
            var input = embeddings.clone().requires_grad_(true);
            var prefix = Enumerable.Range(0, config.Layers)
                .Select(l => (prefixValues[2 * l].clone().requires_grad_(true), prefixValues[2 * l + 1].clone().requires_grad_(true))).ToList();
            using var cache = KvCache.FromPrefix(prefix);
            var hidden = gpt.Forward(input, cache, computed: computed);
            // Built by comparison rather than by assigning scalars into slices: an implicitly converted
            // Scalar can be finalized mid-call under another test's GC (see Decoder.Attend).
            var mask = (arange(6).unsqueeze(0) < tensor(lengths).unsqueeze(1)).to_type(ScalarType.Float32).unsqueeze(-1);
            (hidden * mask).pow(2).sum().backward();
            return ((hidden * mask).detach(), input.grad!, prefix[0].Item1.grad!);
        }

        using var rows = new RowPrefixes(lengths, 6);
        var all = Run(null);
        var some = Run(rows);
        double tolerance = Tolerance(precision);
        Assert.True(some.Hidden.allclose(all.Hidden, rtol: tolerance, atol: tolerance / 10), $"max diff {(some.Hidden - all.Hidden).abs().max().item<float>()}");
        Assert.True(some.InputGrad.allclose(all.InputGrad, rtol: tolerance, atol: tolerance), $"input gradients differ by up to {(some.InputGrad - all.InputGrad).abs().max().item<float>()}");
        Assert.True(some.PrefixGrad.allclose(all.PrefixGrad, rtol: tolerance, atol: tolerance), $"prefix gradients differ by up to {(some.PrefixGrad - all.PrefixGrad).abs().max().item<float>()}");
        Assert.True(some.InputGrad[0].abs().sum().item<float>() > 0, "no gradient reached the input");
    }

    [Theory]
    [MemberData(nameof(Precisions))]
    public void TheSlicedNextTokenLossEqualsTheCrossEntropyOfTheFullLogits(Precision precision)
    {
        // 50257 tokens give slices of 83 positions, so 2 × 64 positions take two slices, the second partial.
        using var model = TinyModels.Create(config: TinyModels.Config(vocab: 50257, positions: 64), precision: precision);
        var gpt = model.Network;
        var embeddings = gpt.EmbedTokens(randint(50257, [2, 64], generator: new Generator(1))).detach();
        var targets = randint(50257, [128], generator: new Generator(2));
        (float Loss, Tensor Grad) Run(Func<Tensor, Tensor> loss)
        {
            var input = embeddings.clone().requires_grad_(true);
            var value = loss(gpt.Forward(input).flatten(0, 1));
            value.backward();
            return (value.item<float>(), input.grad!);
        }

        var sliced = Run(hidden => gpt.NextTokenLoss(hidden, targets));
        var full = Run(hidden => nn.functional.cross_entropy(gpt.LmHead(hidden), targets));
        Assert.Equal(full.Loss, sliced.Loss, 4);
        Assert.True(sliced.Grad.allclose(full.Grad, rtol: 1e-4, atol: 1e-7), $"gradients differ by up to {(sliced.Grad - full.Grad).abs().max().item<float>()}");
    }

    [Fact]
    public void RowPrefixesLongerThanTheBatchAreAClearError()
    {
        var error = Assert.Throws<ArgumentException>(() => new RowPrefixes([3, 7], 6));
        Assert.Contains("row 1: 7 positions requested of 6", error.Message);
    }

    [Theory]
    [MemberData(nameof(Architectures))]
    public void APrefixIsAttendedButTakesNoPositions(string architecture, Precision precision)
    {
        using var model = TinyModels.Create(config: TinyModels.Architecture(architecture), precision: precision);
        var gpt = model.Network;
        var config = gpt.Config;
        using var noGrad = no_grad();
        var zeroPrefix = Enumerable.Range(0, config.Layers)
            .Select(_ => (zeros(1, config.KvHeads, 2, config.HeadSize), zeros(1, config.KvHeads, 2, config.HeadSize))).ToList();
        var random = Enumerable.Range(0, config.Layers)
            .Select(_ => (randn(1, config.KvHeads, 2, config.HeadSize), randn(1, config.KvHeads, 2, config.HeadSize))).ToList();
        var ids = Ids(5, 6, 7);
        using var zeroCache = KvCache.FromPrefix(zeroPrefix);
        using var randomCache = KvCache.FromPrefix(random);
        var withRandom = gpt.Forward(gpt.EmbedTokens(ids), randomCache);
        var plain = gpt.ForwardTokens(ids);
        Assert.Equal(3, randomCache.NextPosition);
        Assert.Equal(5, randomCache.Length);
        Assert.False(withRandom.allclose(plain, rtol: Tolerance(precision), atol: Tolerance(precision) / 10), "the prefix had no effect");
        var withZeros = gpt.Forward(gpt.EmbedTokens(ids), zeroCache);
        Assert.False(withZeros.isnan().any().item<bool>());
    }

    [Fact]
    public void TooManyPositionsIsAClearError()
    {
        using var model = TinyModels.Create(config: TinyModels.Config(vocab: 50257, positions: 8));
        var error = Assert.Throws<ArgumentException>(() => model.LogProbabilities(Enumerable.Range(0, 9).ToList()));
        Assert.Contains("8 positions", error.Message);
    }

    [Fact]
    public void GeluVariantsDiffer()
    {
        // In fp32: the two GELUs differ by less than bf16 resolves in this tiny random model.
        using var tanh = TinyModels.Create(seed: 3, TinyModels.Config(vocab: 50257, activation: GptActivation.GeluTanh), Precision.Fp32);
        using var erf = TinyModels.Create(seed: 3, TinyModels.Config(vocab: 50257, activation: GptActivation.GeluErf), Precision.Fp32);
        var tokens = new[] { 464, 1664, 338, 27526 };
        var a = tanh.LogProbabilities(tokens);
        var b = erf.LogProbabilities(tokens);
        Assert.NotEqual(a, b);
        Assert.Equal(a.Length, b.Length);
    }

    [Fact]
    public void ASeededInitialisationIsReproducibleWhateverTheGlobalRandomState()
    {
        manual_seed(1);
        using var a = TinyModels.Create(seed: 7);
        manual_seed(2);
        using var b = TinyModels.Create(seed: 7);
        using var c = TinyModels.Create(seed: 8);
        var pb = b.Network.named_parameters().ToDictionary(p => p.name, p => p.parameter);
        Assert.All(a.Network.named_parameters(), p => Assert.True(p.parameter.equal(pb[p.name]).all().item<bool>(), p.name));
        Assert.False(a.Network.TokenEmbedding.equal(c.Network.TokenEmbedding).all().item<bool>());
    }

    /// <summary>With a window of 6 a query sees keys 0–5 positions back, so through two layers token 0
    /// reaches position 10 (10 → 5 → 0) and no further: a window off by one moves either edge.</summary>
    [Fact]
    public void ASlidingWindowHidesKeysAWindowOrMoreBack()
    {
        using var model = TinyModels.Create(config: TinyModels.Llama(vocab: 50257, slidingWindow: 6), precision: Precision.Fp32);
        var network = model.Network;
        using var noGrad = no_grad();
        var a = network.ForwardTokens(Ids(10, 20, 30, 40, 50, 60, 70, 80, 90, 100, 110, 120, 130, 140));
        var b = network.ForwardTokens(Ids(11, 20, 30, 40, 50, 60, 70, 80, 90, 100, 110, 120, 130, 140));
        Assert.False(a[0, 10].allclose(b[0, 10], rtol: 1e-5, atol: 1e-6), "token 0 should still reach position 10 through two layers");
        Assert.True(a[0, 11..].allclose(b[0, 11..], rtol: 1e-6, atol: 1e-7), "token 0 reached past the window");
    }

    [Fact]
    public void AnUntiedHeadIsItsOwnWeight()
    {
        using var model = TinyModels.Create(config: TinyModels.Llama(vocab: 50257), precision: Precision.Fp32);
        var network = model.Network;
        using var noGrad = no_grad();
        var hidden = randn(3, network.Config.Embedding);
        var head = network.named_parameters().Single(p => p.name == "lm_head.weight").parameter;
        Assert.True(network.LmHead(hidden).allclose(matmul(hidden, head.t()), rtol: 1e-5, atol: 1e-6));
        Assert.False(network.LmHead(hidden).allclose(matmul(hidden, network.TokenEmbedding.t()), rtol: 1e-2, atol: 1e-3));
    }
}
