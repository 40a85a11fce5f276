using FedPrompt.Formats.Settings;
using FedPrompt.Testing;
using System.Text.Json;
using FedPrompt.Model;

namespace FedPrompt.Model.Tests;

/// <summary>
/// The engine against an independent PyTorch implementation (tools/gpt2_reference.py) on the same
/// weights, in every checkpoint format. A transposed Conv1D weight, a wrong QKV split, a missing
/// causal mask, the wrong GELU or an untied head each move these log-probabilities far past 1e-4.
/// That exactness is fp32's; bf16 is held to the distance its 8-bit mantissa allows.
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
        var (worst, _) = DistanceFromTheReference(fixture, Precision.Fp32);
        Assert.True(worst <= 1e-4, $"{fixture}: max |Δ log p| = {worst:E2}");
    }

    /// <summary>bf16 rounds every weight and product to 8 significant bits (relative error up to
    /// 2⁻⁹ each), so a log-probability moves by hundredths; a bug (a wrong mask, GELU or split)
    /// moves them by whole units, as the fp32 test's comment says.</summary>
    [Theory]
    [MemberData(nameof(Formats))]
    public void Bf16LogProbabilitiesStayCloseToTheFp32Reference(string fixture)
    {
        var (worst, mean) = DistanceFromTheReference(fixture, Precision.Bf16);
        Assert.True(worst <= 0.1 && mean <= 0.02, $"{fixture}: max |Δ log p| = {worst:F4}, mean {mean:F4}");
        Assert.True(worst > 0, "bf16 gave exactly the fp32 log-probabilities: it did not compute in bf16");
    }

    static (double Worst, double Mean) DistanceFromTheReference(string fixture, Precision precision)
    {
        var expected = Expected(fixture);
        using var model = LanguageModel.Load(RepositoryFiles.Engine(fixture), precision);
        Assert.Equal(precision, model.Precision);
        var ids = model.Tokenizer.Encode(expected.GetProperty("text").GetString()!);
        Assert.Equal(expected.GetProperty("ids").EnumerateArray().Select(e => e.GetInt32()), ids);
        return Distance(model, ids, expected.GetProperty("logprobs"), $"{fixture} {precision}");
    }

    /// <summary>Largest and mean |Δ log p| between the model's log-probabilities of <paramref name="ids"/>
    /// and a reference's (a JSON array), one per predicted token.</summary>
    internal static (double Worst, double Mean) Distance(LanguageModel model, IReadOnlyList<int> ids, JsonElement referenceLogprobs, string label)
    {
        var logprobs = model.LogProbabilities(ids);
        var reference = referenceLogprobs.EnumerateArray().Select(e => e.GetDouble()).ToArray();
        Assert.Equal(reference.Length, logprobs.Length);
        var distances = reference.Zip(logprobs, (r, l) => Math.Abs(r - l)).ToList();
        Console.WriteLine($"{label}: max {distances.Max():E3} mean {distances.Average():E3}");
        return (distances.Max(), distances.Average());
    }

    [Theory]
    [MemberData(nameof(Formats))]
    public void GreedyGenerationMatchesThePyTorchReference(string fixture)
    {
        var greedy = Expected(fixture).GetProperty("greedy");
        using var model = LanguageModel.Load(RepositoryFiles.Engine(fixture), Precision.Fp32);
        var prompt = greedy.GetProperty("prompt_ids").EnumerateArray().Select(e => e.GetInt32()).ToList();
        Assert.Equal(prompt, model.Tokenizer.Encode(greedy.GetProperty("prompt").GetString()!));
        var expected = greedy.GetProperty("ids").EnumerateArray().Select(e => e.GetInt32()).ToList();
        var generated = Generation.Continue(model, prompt, new GenerationOptions { MaxNewTokens = expected.Count });
        Assert.Equal(expected, generated);
    }

    [Fact]
    public void TheFixtureTokenizerMatchesTheReferenceBpe()
    {
        var tokenizer = TextTokenizer.ForFolder(RepositoryFiles.Engine("tiny-gpt2"));
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
        var tokenizer = TextTokenizer.Gpt2();
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
        var config = Assert.IsType<GptConfig>(model.Config);
        Assert.Equal(GptActivation.GeluErf, config.Activation);
        Assert.Equal(128, config.InnerSize);
    }
}
