using FedPrompt.Formats.Settings;
using FedPrompt.Model;
using FedPrompt.Testing;
using FedPrompt.Tuning.Encoders;
using FedPrompt.Tuning.Templates;
using TorchSharp;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace FedPrompt.Tuning.Tests.Tuning;

public class PromptedModelTests
{
    static (PromptedModel Model, List<TokenizedExample> Examples) Setup(PromptEncoderType type, LanguageModel model, int count = 6)
    {
        var settings = new PromptEncoderSettings { Type = type, VirtualTokens = 4, HiddenSize = 16 };
        var template = TaskTemplate.FinancialPhraseBank with { TotalVirtualTokens = 4, VirtualTokenSplits = [4] };
        var formatter = new PromptFormatter(template, model.Tokenizer, settings.AtInput, model.Config.Positions);
        var examples = formatter.FormatForTraining(SyntheticTask.Records(count, seed: 3), "synthetic").Examples;
        return (new PromptedModel(model, PromptEncoder.Create(settings, model)), examples);
    }

    [Theory]
    [InlineData(PromptEncoderType.Mlp, "gpt")]
    [InlineData(PromptEncoderType.Deep, "gpt")]
    [InlineData(PromptEncoderType.Mlp, "llama")]
    [InlineData(PromptEncoderType.Deep, "llama")]
    public void TheGatheredAnswerLossEqualsTheFullLogitsMaskedLoss(PromptEncoderType type, string architecture)
    {
        using var model = TinyModels.Create(config: TinyModels.Architecture(architecture, positions: 64));
        var (prompted, examples) = Setup(type, model);
        using var batch = PromptBatch.Create(examples, model.Tokenizer.EndOfTextId);

        var gathered = prompted.Loss(batch);
        // NeMo's way: logits over the whole vocabulary at every position, then the loss mask.
        var logits = model.Network.LmHead(prompted.Hidden(batch))[.., ..^1];
        var ids = batch.Ids;
        var mask = zeros(batch.Size, batch.Length - 1);
        for (int row = 0; row < examples.Count; row++)
            for (int t = examples[row].AnswerStart - 1; t < examples[row].Length - 1; t++) mask[row, t] = 1;
        var targets = ids[.., 1..];
        var perToken = F.cross_entropy(logits.reshape(-1, logits.shape[^1]), targets.reshape(-1), reduction: nn.Reduction.None).view(batch.Size, -1);
        var full = (perToken * mask).sum() / mask.sum();

        Assert.Equal(full.item<float>(), gathered.item<float>(), 5);
    }

    [Fact]
    public void TheVirtualPositionsCarryTheEncoderOutput()
    {
        using var model = TinyModels.Create(config: TinyModels.Config(vocab: 50257, positions: 64));
        var (prompted, examples) = Setup(PromptEncoderType.Mlp, model, count: 2);
        using var batch = PromptBatch.Create(examples, model.Tokenizer.EndOfTextId);
        using var noGrad = no_grad();

        var manual = model.Network.EmbedTokens(batch.Ids).clone();
        var virtualTokens = prompted.Encoder.InputEmbeddings()!;
        for (int row = 0; row < 2; row++)
            for (int k = 0; k < 4; k++) manual[row, k] = virtualTokens[k];
        var expected = model.Network.Forward(manual);
        Assert.True(prompted.Hidden(batch).allclose(expected, rtol: 1e-5, atol: 1e-6));
        // And they matter: other virtual embeddings give other hidden states.
        manual[TensorIndex.Colon, TensorIndex.Slice(0, 4)] = 0;
        Assert.False(model.Network.Forward(manual).allclose(expected, rtol: 1e-3, atol: 1e-4));
    }

    [Fact]
    public void DeepPromptsReachEveryLayer()
    {
        using var model = TinyModels.Create(config: TinyModels.Config(vocab: 50257, positions: 64) with { Layers = 3 });
        var (prompted, examples) = Setup(PromptEncoderType.Deep, model, count: 2);
        using var batch = PromptBatch.Create(examples, model.Tokenizer.EndOfTextId);
        using var noGrad = no_grad();
        var baseline = prompted.Hidden(batch);
        var keys = prompted.Encoder.named_parameters().Single(p => p.name == "prefix_keys").parameter;
        var values = prompted.Encoder.named_parameters().Single(p => p.name == "prefix_values").parameter;
        for (int layer = 0; layer < 3; layer++)
        {
            var (savedKeys, savedValues) = (keys[layer].clone(), values[layer].clone());
            keys[layer].zero_();
            values[layer].zero_();
            Assert.False(prompted.Hidden(batch).allclose(baseline, rtol: 1e-4, atol: 1e-5), $"zeroing layer {layer}'s prefix changed nothing");
            keys[layer].copy_(savedKeys);
            values[layer].copy_(savedValues);
        }
        Assert.True(prompted.Hidden(batch).allclose(baseline));
    }

    [Theory]
    [InlineData(PromptEncoderType.Mlp, "gpt")]
    [InlineData(PromptEncoderType.Lstm, "gpt")]
    [InlineData(PromptEncoderType.Embedding, "gpt")]
    [InlineData(PromptEncoderType.Deep, "gpt")]
    [InlineData(PromptEncoderType.Mlp, "llama")]
    [InlineData(PromptEncoderType.Lstm, "llama")]
    [InlineData(PromptEncoderType.Embedding, "llama")]
    [InlineData(PromptEncoderType.Deep, "llama")]
    public void OnlyTheEncoderLearnsAndTheFrozenModelStaysBitIdentical(PromptEncoderType type, string architecture)
    {
        using var model = TinyModels.Create(config: TinyModels.Architecture(architecture, positions: 64));
        var before = model.Network.named_parameters().ToDictionary(p => p.name, p => p.parameter.clone());
        var (prompted, examples) = Setup(type, model, count: 8);
        var encoderBefore = prompted.Encoder.named_parameters().ToDictionary(p => p.name, p => p.parameter.detach().clone());
        var trainer = new Training.PromptTrainer(prompted, new Formats.Settings.TrainingOptions { GlobalBatchSize = 4, MicroBatchSize = 2, WarmupSteps = 0, LearningRate = 1e-2 });
        trainer.TrainEpoch(examples);

        Assert.Equal(2, trainer.Step);
        foreach (var (name, parameter) in model.Network.named_parameters())
        {
            Assert.True(parameter.equal(before[name]).all().item<bool>(), $"{name} changed");
            Assert.Null(parameter.grad);
        }
        Assert.Contains(prompted.Encoder.named_parameters(), p => !p.parameter.equal(encoderBefore[p.name]).all().item<bool>());
    }

    /// <summary>The frozen model computes in bf16; what trains stays fp32, from its initialisation
    /// (some encoders start from the model's own embeddings or keys) to the gradient that reaches it.</summary>
    [Theory]
    [InlineData(PromptEncoderType.Mlp, false, "gpt")]
    [InlineData(PromptEncoderType.Lstm, false, "gpt")]
    [InlineData(PromptEncoderType.Embedding, false, "gpt")]
    [InlineData(PromptEncoderType.Deep, false, "gpt")]
    [InlineData(PromptEncoderType.Deep, true, "gpt")]
    [InlineData(PromptEncoderType.Mlp, false, "llama")]
    [InlineData(PromptEncoderType.Deep, false, "llama")]
    [InlineData(PromptEncoderType.Deep, true, "llama")]
    public void EveryEncoderTrainsInFp32OnABf16Model(PromptEncoderType type, bool reparameterize, string architecture)
    {
        using var model = TinyModels.Create(config: TinyModels.Architecture(architecture, positions: 64), precision: Precision.Bf16);
        var settings = new PromptEncoderSettings { Type = type, VirtualTokens = 4, HiddenSize = 16, Reparameterize = reparameterize };
        var template = TaskTemplate.FinancialPhraseBank with { TotalVirtualTokens = 4, VirtualTokenSplits = [4] };
        var examples = new PromptFormatter(template, model.Tokenizer, settings.AtInput, model.Config.Positions)
            .FormatForTraining(SyntheticTask.Records(4, seed: 3), "synthetic").Examples;
        var prompted = new PromptedModel(model, PromptEncoder.Create(settings, model));
        using var batch = PromptBatch.Create(examples, model.Tokenizer.EndOfTextId);
        var loss = prompted.Loss(batch);
        Assert.Equal(ScalarType.Float32, loss.dtype);
        loss.backward();
        Assert.All(prompted.Encoder.named_parameters(), p =>
        {
            Assert.True(p.parameter.dtype == ScalarType.Float32, $"{p.name} is {p.parameter.dtype}");
            Assert.True(p.parameter.grad is { } grad && grad.dtype == ScalarType.Float32 && grad.abs().sum().item<float>() > 0, $"{p.name} got no fp32 gradient");
        });
    }
}
