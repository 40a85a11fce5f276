using FedPrompt.Formats.Settings;
using FedPrompt.Testing;
using FedPrompt.Tuning.Encoders;

namespace FedPrompt.Tuning.Tests.Tuning;

/// <summary>Encoders are initialised from libtorch's process-wide generator; these tests run alone so
/// that no other test draws from it while they check what concurrent creation does.</summary>
[CollectionDefinition(nameof(PromptEncoderSeedingTests), DisableParallelization = true)]
public sealed class PromptEncoderSeedingCollection;

[Collection(nameof(PromptEncoderSeedingTests))]
public class PromptEncoderSeedingTests
{
    [Theory]
    [InlineData(PromptEncoderType.Mlp)]
    [InlineData(PromptEncoderType.Lstm)]
    public void EncodersCreatedOnManyThreadsAtOnceAreAllTheSeededOne(PromptEncoderType type)
    {
        using var model = TinyModels.Create();
        var settings = new PromptEncoderSettings { Type = type, VirtualTokens = 4, HiddenSize = 64, Layers = 2 };
        using var reference = PromptEncoder.Create(settings, model);
        var made = new PromptEncoder[48];
        Parallel.For(0, made.Length, new ParallelOptions { MaxDegreeOfParallelism = 8 }, i => made[i] = PromptEncoder.Create(settings, model));
        try
        {
            foreach (var encoder in made)
                foreach (var ((name, expected), (_, actual)) in reference.named_parameters().Zip(encoder.named_parameters()))
                    Assert.True(expected.allclose(actual, rtol: 0, atol: 0), $"{name} differs from the seeded initialisation");
        }
        finally
        {
            foreach (var encoder in made) encoder.Dispose();
        }
    }
}
