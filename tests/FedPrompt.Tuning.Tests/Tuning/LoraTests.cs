using FedPrompt.Formats.Settings;
using FedPrompt.Model;
using FedPrompt.Testing;
using FedPrompt.Tuning.Encoders;
using FedPrompt.Tuning.Templates;
using static TorchSharp.torch;

namespace FedPrompt.Tuning.Tests.Tuning;

public class LoraTests
{
    static LoraAdapters Adapters(LanguageModel model, string targets, bool freezeA = false, int rank = 4)
    {
        var adapters = (LoraAdapters)PromptEncoder.Create(new PromptEncoderSettings
        {
            // No dropout, so that a training pass is the merged weights' too.
            Type = PromptEncoderType.Lora, LoraRank = rank, LoraAlpha = 8, LoraTargets = targets, LoraFreezeA = freezeA, LoraDropout = 0,
        }, model);
        // B starts at zero (the adapted model is the frozen one); give it values so the test means something.
        using var noGrad = no_grad();
        var generator = new Generator(5);
        foreach (var (name, p) in adapters.named_parameters())
            if (name.EndsWith("lora_B.weight", StringComparison.Ordinal)) p.copy_(randn(p.shape, generator: generator).mul_(0.5));
        return adapters;
    }

    static List<TokenizedExample> Examples(LanguageModel model, int count = 4)
    {
        var formatter = new PromptFormatter(TaskTemplate.FinancialPhraseBank, model.Tokenizer, virtualTokensAtInput: false, model.Config.Positions);
        return formatter.FormatForTraining(SyntheticTask.Records(count, seed: 3), "synthetic").Examples;
    }

    [Theory]
    [InlineData("gpt", "attention")]
    [InlineData("gpt", "all")]
    [InlineData("llama", "mlp")]
    [InlineData("llama", "q_proj,v_proj")]
    public void TheAdaptedForwardEqualsTheForwardOfTheMergedWeights(string architecture, string targets)
    {
        var config = TinyModels.Architecture(architecture, positions: 64);
        using var model = TinyModels.Create(seed: 1, config, Precision.Fp32);
        using var merged = TinyModels.Create(seed: 1, config, Precision.Fp32);
        var adapters = Adapters(model, targets);
        adapters.eval();
        using var noGrad = no_grad();
        var weights = merged.Network.named_parameters().ToDictionary(p => p.name, p => p.parameter);
        foreach (var path in adapters.AdaptedLayers) weights[path + ".weight"].add_(adapters.Delta(path));
        using var batch = PromptBatch.Create(Examples(model), model.Tokenizer.EndOfTextId);

        var adapted = new PromptedModel(model, adapters).Hidden(batch);
        var expected = merged.Network.Forward(merged.Network.EmbedTokens(batch.Ids));
        var unadapted = model.Network.Forward(model.Network.EmbedTokens(batch.Ids));

        Assert.True(adapted.allclose(expected, rtol: 1e-4, atol: 1e-5), $"max difference {(adapted - expected).abs().max().item<float>()}");
        Assert.False(adapted.allclose(unadapted, rtol: 1e-3, atol: 1e-3));
    }

    [Theory]
    [InlineData("gpt", "attention", new[] { "attn.c_attn", "attn.c_proj" })]
    [InlineData("gpt", "mlp", new[] { "mlp.c_fc", "mlp.c_proj" })]
    [InlineData("gpt", "c_proj", new[] { "attn.c_proj", "mlp.c_proj" })]
    [InlineData("llama", "all", new[] { "self_attn.q_proj", "self_attn.k_proj", "self_attn.v_proj", "self_attn.o_proj", "mlp.gate_proj", "mlp.up_proj", "mlp.down_proj" })]
    [InlineData("llama", "q_proj, v_proj", new[] { "self_attn.q_proj", "self_attn.v_proj" })]
    public void TargetsPickLayersAsPeftMatchesThem(string architecture, string targets, string[] withinEachBlock)
    {
        using var model = TinyModels.Create(config: TinyModels.Architecture(architecture));
        var adapters = Adapters(model, targets);
        var expected = model.Network.AdaptableLinears.Where(l => withinEachBlock.Contains(l.WithinBlock)).Select(l => l.Path).ToList();
        Assert.Equal(expected, adapters.AdaptedLayers);
        Assert.Equal(2 * withinEachBlock.Length, expected.Count);
        // Named after the layer they adapt, A [r, in] and B [out, r].
        var first = model.Network.AdaptableLinears.First(l => l.Path == expected[0]);
        var parameters = adapters.named_parameters().ToDictionary(p => p.name, p => p.parameter.shape);
        Assert.Equal([4, first.InFeatures], parameters[first.Path + ".lora_A.weight"]);
        Assert.Equal([first.OutFeatures, 4], parameters[first.Path + ".lora_B.weight"]);
    }

    [Fact]
    public void ATargetThatNamesNoLayerIsRefusedWithTheLayersThereAre()
    {
        using var model = TinyModels.Create(config: TinyModels.Architecture("gpt"));
        var error = Assert.Throws<ArgumentException>(() => Adapters(model, "attention,q_proj"));
        Assert.Contains("q_proj names no linear layer", error.Message);
        Assert.Contains("attn.c_attn", error.Message);
    }

    [Fact]
    public void BStartsAtZeroSoTheAdaptedModelStartsAsTheFrozenOne()
    {
        using var model = TinyModels.Create(config: TinyModels.Architecture("llama", positions: 64), precision: Precision.Fp32);
        var adapters = (LoraAdapters)PromptEncoder.Create(new PromptEncoderSettings { Type = PromptEncoderType.Lora, LoraTargets = "all" }, model);
        adapters.eval();
        using var noGrad = no_grad();
        using var batch = PromptBatch.Create(Examples(model), model.Tokenizer.EndOfTextId);
        var adapted = new PromptedModel(model, adapters).Hidden(batch);
        Assert.True(adapted.equal(model.Network.Forward(model.Network.EmbedTokens(batch.Ids))).all().item<bool>());
        Assert.All(adapters.named_parameters().Where(p => p.name.EndsWith("lora_A.weight", StringComparison.Ordinal)),
            p => Assert.True(p.parameter.abs().sum().item<float>() > 0, $"{p.name} is zero"));
    }

    [Fact]
    public void FfaLoraTrainsBAndLeavesAWhereTheSeedPutIt()
    {
        using var model = TinyModels.Create(config: TinyModels.Architecture("gpt", positions: 64));
        var adapters = Adapters(model, "attention", freezeA: true);
        var other = Adapters(model, "attention", freezeA: true);
        Assert.All(adapters.Trainable(), p => Assert.EndsWith("lora_B.weight", p.Name));
        Assert.Equal(4, adapters.Trainable().Count);
        var prompted = new PromptedModel(model, adapters);
        var trainer = new Training.PromptTrainer(prompted, new TrainingOptions { LearningRate = 0.1, WarmupSteps = 0, MaxSteps = 4, GlobalBatchSize = 4, MicroBatchSize = 2 });
        var before = adapters.named_parameters().ToDictionary(p => p.name, p => p.parameter.detach().clone());
        trainer.TrainEpoch(Examples(model, 8));
        foreach (var (name, p) in adapters.named_parameters())
        {
            bool same = p.equal(before[name]).all().item<bool>();
            Assert.True(name.Contains("lora_A") ? same : !same, $"{name} {(same ? "did not move" : "moved")}");
        }
        // Two sites seeded alike share A, which is what makes averaging B exact.
        foreach (var (name, p) in other.named_parameters().Where(n => n.name.Contains("lora_A")))
            Assert.True(p.equal(before[name]).all().item<bool>(), name);
    }

    static (LoraAdapters Adapters, string Path) WithDropout(LanguageModel model)
    {
        var adapters = (LoraAdapters)PromptEncoder.Create(new PromptEncoderSettings { Type = PromptEncoderType.Lora, LoraDropout = 0.5 }, model);
        using var noGrad = no_grad();
        foreach (var (name, p) in adapters.named_parameters())
            if (name.EndsWith("lora_B.weight", StringComparison.Ordinal)) p.fill_(0.1);
        return (adapters, adapters.AdaptedLayers.First());
    }

    [Fact]
    public void DropoutActsOnTheAdaptersInputInTrainingOnly()
    {
        using var model = TinyModels.Create(config: TinyModels.Architecture("gpt", positions: 64), precision: Precision.Fp32);
        var (adapters, path) = WithDropout(model);
        using var noGrad = no_grad();
        var input = ones(3, 32);
        adapters.eval();
        var evaluated = adapters.Addition(path, input)!;
        Assert.True(evaluated.equal(adapters.Addition(path, input)!).all().item<bool>());
        adapters.train();
        var trained = adapters.Addition(path, input)!;
        Assert.False(trained.allclose(evaluated, rtol: 1e-3, atol: 1e-4));
    }

    /// <summary>The masks come from the encoder's seeded generator: two sites configured alike drop the
    /// same inputs, whatever else the process draws in between (here: the process-wide generator, reseeded).</summary>
    [Fact]
    public void DropoutMasksFollowTheEncodersSeedNotTheProcessWideGenerator()
    {
        using var model = TinyModels.Create(config: TinyModels.Architecture("gpt", positions: 64), precision: Precision.Fp32);
        var (first, path) = WithDropout(model);
        var (second, _) = WithDropout(model);
        using var noGrad = no_grad();
        var input = ones(3, 32);
        first.train();
        second.train();
        var masks = Enumerable.Range(0, 3).Select(_ => first.Addition(path, input)!).ToList();
        foreach (var expected in masks)
        {
            manual_seed(Random.Shared.NextInt64());
            using var drawn = rand(1000);
            Assert.True(expected.equal(second.Addition(path, input)!).all().item<bool>(), "the second site's dropout mask differs");
        }
        Assert.False(masks[0].equal(masks[1]).all().item<bool>(), "successive passes drew the same mask");
    }
}
