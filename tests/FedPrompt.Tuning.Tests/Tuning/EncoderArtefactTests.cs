using FedPrompt.Formats.Checkpoints;
using FedPrompt.Formats.Settings;
using FedPrompt.Model;
using FedPrompt.Testing;
using FedPrompt.Tuning.Artefacts;
using FedPrompt.Tuning.Encoders;
using static TorchSharp.torch;

namespace FedPrompt.Tuning.Tests.Tuning;

public class EncoderArtefactTests
{
    static readonly string[] Answers = [" decreased", " increased"];

    static PromptEncoder Trained(PromptEncoderType type, LanguageModel model)
    {
        var encoder = PromptEncoder.Create(new PromptEncoderSettings { Type = type, VirtualTokens = 4, HiddenSize = 8, Layers = 2 }, model);
        // Move every weight away from its initial value so a load that silently keeps the init is caught.
        using var noGrad = no_grad();
        var generator = new TorchSharp.torch.Generator(7);
        foreach (var p in encoder.parameters()) p.add_(randn(p.shape, generator: generator));
        return encoder;
    }

    [Theory]
    [InlineData(PromptEncoderType.Mlp)]
    [InlineData(PromptEncoderType.Lstm)]
    [InlineData(PromptEncoderType.Embedding)]
    [InlineData(PromptEncoderType.Deep)]
    [InlineData(PromptEncoderType.Lora)]
    public void EveryEncoderSurvivesASaveLoadRoundTrip(PromptEncoderType type)
    {
        using var folder = new TemporaryDirectory();
        using var model = TinyModels.Create(config: TinyModels.Config(vocab: 50257, positions: 64));
        var encoder = Trained(type, model);
        var template = TaskTemplate.FinancialPhraseBank with { TotalVirtualTokens = 4, VirtualTokenSplits = [4] };
        var path = folder.File("encoder.safetensors");
        EncoderArtefact.Save(path, encoder, template, Answers, model);

        var loaded = EncoderArtefact.Load(path, model);
        Assert.Equal(template.ToJson().ToJsonString(), loaded.Template.ToJson().ToJsonString());
        Assert.Equal(Answers, loaded.Answers);
        Assert.Equal(encoder.Settings, loaded.Encoder.Settings);
        var original = encoder.named_parameters().ToDictionary(p => p.name, p => p.parameter);
        Assert.Equal(original.Keys.Order(), loaded.Encoder.named_parameters().Select(p => p.name).Order());
        foreach (var (name, parameter) in loaded.Encoder.named_parameters())
            Assert.True(parameter.equal(original[name]).all().item<bool>(), $"{type}: {name} differs after loading");
        if (type == PromptEncoderType.Lstm)
            Assert.Contains(loaded.Encoder.named_parameters(), p => p.name.StartsWith("lstm_head.", StringComparison.Ordinal));
    }

    [Fact]
    public void AnEncoderForAnotherBaseModelIsRefused()
    {
        using var folder = new TemporaryDirectory();
        using var model = TinyModels.Create(seed: 1, TinyModels.Config(vocab: 50257, positions: 64));
        using var sameShapeOtherWeights = TinyModels.Create(seed: 2, TinyModels.Config(vocab: 50257, positions: 64));
        using var otherShape = TinyModels.Create(seed: 1, TinyModels.Config(vocab: 50257, positions: 32));
        var path = folder.File("encoder.safetensors");
        EncoderArtefact.Save(path, Trained(PromptEncoderType.Mlp, model), TaskTemplate.FinancialPhraseBank with { TotalVirtualTokens = 4, VirtualTokenSplits = [4] }, Answers, model);

        var weights = Assert.Throws<InvalidDataException>(() => EncoderArtefact.Load(path, sameShapeOtherWeights));
        Assert.Contains("different weights", weights.Message);
        Assert.Contains(path, weights.Message);
        var shape = Assert.Throws<InvalidDataException>(() => EncoderArtefact.Load(path, otherShape));
        Assert.Contains("different base model", shape.Message);
    }

    [Fact]
    public void CorruptOrForeignFilesAreRefusedByName()
    {
        using var folder = new TemporaryDirectory();
        using var model = TinyModels.Create(config: TinyModels.Config(vocab: 50257, positions: 64));
        var path = folder.File("encoder.safetensors");
        EncoderArtefact.Save(path, Trained(PromptEncoderType.Mlp, model), TaskTemplate.FinancialPhraseBank with { TotalVirtualTokens = 4, VirtualTokenSplits = [4] }, Answers, model);

        var truncated = folder.File("truncated.safetensors");
        File.WriteAllBytes(truncated, File.ReadAllBytes(path)[..^10]);
        Assert.Contains(truncated, Assert.Throws<InvalidDataException>(() => EncoderArtefact.Load(truncated, model)).Message);

        var foreign = folder.File("foreign.safetensors");
        SafeTensorsWriter.WriteFile(foreign, [SafeTensorsEntry.FromBytes("w", StoredDType.F32, [1], new byte[4])]);
        Assert.Contains("not a FedPrompt prompt encoder", Assert.Throws<InvalidDataException>(() => EncoderArtefact.Load(foreign, model)).Message);
    }
}
