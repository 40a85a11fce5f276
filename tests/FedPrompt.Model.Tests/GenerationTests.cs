using FedPrompt.Testing;
using FedPrompt.Model;
using static TorchSharp.torch;

namespace FedPrompt.Model.Tests;

public class GenerationTests
{
    /// <summary>Greedy decoding with the cache must pick what a full forward over the growing text picks.</summary>
    [Fact]
    public void GreedyWithTheCacheMatchesRecomputingEveryStep()
    {
        using var model = TinyModels.Create(seed: 5);
        var prompt = new List<int> { 464, 1664, 338 };
        var generated = Generation.Continue(model, prompt, new GenerationOptions { MaxNewTokens = 6, StopAtEndOfText = false });

        var text = new List<int>(prompt);
        using (no_grad())
        {
            for (int i = 0; i < 6; i++)
            {
                var logits = model.Network.LmHead(model.Network.ForwardTokens(tensor(text.Select(t => (long)t).ToArray()).unsqueeze(0)));
                text.Add((int)logits[0, -1].argmax().item<long>());
            }
        }
        Assert.Equal(text.Skip(3), generated);
    }

    [Fact]
    public void SamplingIsReproducibleWithASeedAndDiffersAcrossSeeds()
    {
        using var model = TinyModels.Create(seed: 5);
        var prompt = new List<int> { 464, 1664 };
        GenerationOptions Options(long seed) => new() { MaxNewTokens = 8, Temperature = 2.0, TopK = 500, TopP = 0.95, Seed = seed, StopAtEndOfText = false };
        var a = Generation.Continue(model, prompt, Options(1));
        var b = Generation.Continue(model, prompt, Options(1));
        var c = Generation.Continue(model, prompt, Options(2));
        Assert.Equal(a, b);
        Assert.NotEqual(a, c);
    }

    [Fact]
    public void GenerationStopsAtThePositionLimit()
    {
        using var model = TinyModels.Create(config: TinyModels.Config(vocab: 50257, positions: 6));
        var generated = Generation.Continue(model, [1, 2, 3, 4], new GenerationOptions { MaxNewTokens = 10, StopAtEndOfText = false });
        Assert.Equal(3, generated.Count);
    }

    [Fact]
    public void InvalidOptionsAreRefused()
    {
        Assert.Throws<ArgumentException>(() => new GenerationOptions { TopP = 0 }.Validated());
        Assert.Throws<ArgumentException>(() => new GenerationOptions { Temperature = -1 }.Validated());
        Assert.Throws<ArgumentException>(() => new GenerationOptions { MaxNewTokens = -1 }.Validated());
    }
}
