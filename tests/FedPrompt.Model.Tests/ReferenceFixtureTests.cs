using FedPrompt.Testing;
using System.Text.Json;
using FedPrompt.Model;

namespace FedPrompt.Model.Tests;

/// <summary>
/// The engine against an independent PyTorch implementation (tools/gpt2_reference.py) on the same
/// weights, in every checkpoint format. A transposed Conv1D weight, a wrong QKV split, a missing
/// causal mask, the wrong GELU or an untied head each move these log-probabilities far past 1e-4.
/// </summary>
public class ReferenceFixtureTests
{
    public static TheoryData<string> Formats => new()
    {
        "tiny-gpt2", "tiny-gpt2-fp16", "tiny-gpt2-bf16", "tiny-gpt2-bin", "tiny-gpt2-sharded", "tiny-megatron.nemo",
    };

    static JsonElement Expected(string fixture) => RepositoryFiles.EngineExpected.GetProperty("fixtures").GetProperty(fixture);

    [Theory]
    [MemberData(nameof(Formats))]
    public void LogProbabilitiesMatchThePyTorchReference(string fixture)
    {
        var expected = Expected(fixture);
        using var model = LanguageModel.Load(RepositoryFiles.Engine(fixture));
        var ids = model.Tokenizer.Encode(expected.GetProperty("text").GetString()!);
        Assert.Equal(expected.GetProperty("ids").EnumerateArray().Select(e => e.GetInt32()), ids);

        var logprobs = model.LogProbabilities(ids);
        var reference = expected.GetProperty("logprobs").EnumerateArray().Select(e => e.GetDouble()).ToArray();
        Assert.Equal(reference.Length, logprobs.Length);
        var worst = reference.Zip(logprobs, (r, l) => Math.Abs(r - l)).Max();
        Assert.True(worst <= 1e-4, $"{fixture}: max |Δ log p| = {worst:E2}");
    }

    [Theory]
    [MemberData(nameof(Formats))]
    public void GreedyGenerationMatchesThePyTorchReference(string fixture)
    {
        var greedy = Expected(fixture).GetProperty("greedy");
        using var model = LanguageModel.Load(RepositoryFiles.Engine(fixture));
        var prompt = greedy.GetProperty("prompt_ids").EnumerateArray().Select(e => e.GetInt32()).ToList();
        Assert.Equal(prompt, model.Tokenizer.Encode(greedy.GetProperty("prompt").GetString()!));
        var expected = greedy.GetProperty("ids").EnumerateArray().Select(e => e.GetInt32()).ToList();
        var generated = Generation.Continue(model, prompt, new GenerationOptions { MaxNewTokens = expected.Count });
        Assert.Equal(expected, generated);
    }

    [Fact]
    public void TheFixtureTokenizerMatchesTheReferenceBpe()
    {
        var tokenizer = GptTokenizer.ForFolder(RepositoryFiles.Engine("tiny-gpt2"));
        Assert.Equal(1000, tokenizer.VocabularySize);
        Assert.Equal(999, tokenizer.EndOfTextId);
        foreach (var testCase in RepositoryFiles.EngineExpected.GetProperty("tokenizer_cases").EnumerateArray())
        {
            var text = testCase.GetProperty("text").GetString()!;
            var ids = testCase.GetProperty("ids").EnumerateArray().Select(e => e.GetInt32()).ToList();
            Assert.Equal(ids, tokenizer.Encode(text));
            Assert.Equal(text, tokenizer.Decode(ids));
        }
    }

    [Fact]
    public void ThePackagedGpt2TokenizerHasTheReferenceLabelIds()
    {
        var tokenizer = GptTokenizer.Gpt2();
        Assert.Equal([3967], tokenizer.Encode(" positive"));
        Assert.Equal([4633], tokenizer.Encode(" negative"));
        Assert.Equal([8500], tokenizer.Encode(" neutral"));
        Assert.Equal(50256, tokenizer.EndOfTextId);
        Assert.Equal(50257, tokenizer.VocabularySize);
    }

    [Fact]
    public void TheNemoVocabularyIsPaddedAndItsTokenizerComesFromTheArchive()
    {
        using var model = LanguageModel.Load(RepositoryFiles.Engine("tiny-megatron.nemo"));
        Assert.Equal(1024, model.Config.VocabSize);
        Assert.Equal(1000, model.Tokenizer.VocabularySize);
        Assert.Equal(GptActivation.GeluErf, model.Config.Activation);
        Assert.Equal(128, model.Config.InnerSize);
    }
}
