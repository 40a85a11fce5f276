using FedPrompt.Formats.Settings;
using FedPrompt.Testing;
using FedPrompt.Tuning.Encoders;
using static TorchSharp.torch;

namespace FedPrompt.Tuning.Tests.Tuning;

public class PromptEncoderSeedingTests
{
    /// <summary>Sites that start from the same configuration start from the same encoder, even when
    /// they are made on many threads at once while the process-wide generator is reseeded and drawn
    /// from (as model loads and other sites do).</summary>
    [Theory]
    [InlineData(PromptEncoderType.Mlp, "")]
    [InlineData(PromptEncoderType.Lstm, "")]
    [InlineData(PromptEncoderType.Embedding, "")]
    [InlineData(PromptEncoderType.Deep, "")]
    [InlineData(PromptEncoderType.Deep, "reparameterized")]
    [InlineData(PromptEncoderType.Lora, "")]
    public void EncodersCreatedOnManyThreadsAtOnceAreAllTheSeededOne(PromptEncoderType type, string variant)
    {
        using var model = TinyModels.Create();
        var settings = new PromptEncoderSettings
        {
            Type = type, VirtualTokens = 4, HiddenSize = 64, Layers = 2, InitText = "", Reparameterize = variant == "reparameterized", LoraTargets = "all",
        };
        using var reference = PromptEncoder.Create(settings, model);
        using var stop = new CancellationTokenSource();
        var disturbance = Task.Run(() =>
        {
            for (long seed = 0; !stop.IsCancellationRequested; seed++)
            {
                manual_seed(seed);
                using var drawn = randn(64, 64);
            }
        });
        var made = new PromptEncoder[32];
        Parallel.For(0, made.Length, new ParallelOptions { MaxDegreeOfParallelism = 4 }, i => made[i] = PromptEncoder.Create(settings, model));
        stop.Cancel();
        disturbance.Wait();
        try
        {
            foreach (var encoder in made)
                foreach (var ((name, expected), (_, actual)) in reference.named_parameters().Zip(encoder.named_parameters()))
                    Assert.True(expected.equal(actual).all().item<bool>(), $"{name} differs from the seeded initialisation");
        }
        finally
        {
            foreach (var encoder in made) encoder.Dispose();
        }
    }

    [Fact]
    public void AnotherSeedGivesAnotherEncoder()
    {
        using var model = TinyModels.Create();
        using var first = PromptEncoder.Create(new PromptEncoderSettings { Type = PromptEncoderType.Mlp, VirtualTokens = 4, HiddenSize = 16 }, model);
        using var second = PromptEncoder.Create(new PromptEncoderSettings { Type = PromptEncoderType.Mlp, VirtualTokens = 4, HiddenSize = 16, Seed = 7 }, model);
        Assert.All(first.parameters().Zip(second.parameters()), p => Assert.False(p.First.equal(p.Second).all().item<bool>()));
    }
}
