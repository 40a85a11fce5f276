using System.Text.Json;
using FedPrompt.Formats.Settings;
using FedPrompt.Model;
using FedPrompt.Model.Checkpoints;
using FedPrompt.Testing;
using static TorchSharp.torch;

namespace FedPrompt.Model.Tests;

/// <summary>
/// The Llama-family decoder against an independent PyTorch implementation (tools/llama_reference.py,
/// written from the published architectures) on tiny random checkpoints of every model_type and
/// config form. Each fixture was checked by its generator to move by far more than 1e-4 under a
/// wrong RoPE convention (interleaved instead of rotate-half), a wrong key/value head mapping
/// (h % kv instead of h / group), a missing or misplaced q/k norm, a missing or off-by-one sliding
/// window, a missing llama3 scaling or bias, or a tied head where it is untied (the distances are in
/// tests/fixtures/engine/README.md); so these tests catch each of those.
/// </summary>
public class LlamaReferenceTests
{
    public static TheoryData<string> Fixtures => new()
    {
        "tiny-llama", "tiny-llama-linear", "tiny-llama-rope-parameters", "tiny-mistral", "tiny-qwen2", "tiny-qwen3",
        "tiny-llama-bf16", "tiny-llama-sharded", "tiny-llama-sentencepiece",
    };

    static JsonElement Expected(string fixture) => RepositoryFiles.LlamaExpected.GetProperty("fixtures").GetProperty(fixture);

    static int[] Ints(JsonElement array) => array.EnumerateArray().Select(e => e.GetInt32()).ToArray();

    [Theory]
    [MemberData(nameof(Fixtures))]
    public void LogProbabilitiesMatchThePyTorchReference(string fixture)
    {
        var (worst, _) = DistanceFromTheReference(fixture, Precision.Fp32);
        Assert.True(worst <= 1e-4, $"{fixture}: max |Δ log p| = {worst:E2}");
    }

    /// <summary>As for GPT-2: bf16's 8-bit products move log-probabilities by hundredths, a bug by units.</summary>
    [Theory]
    [MemberData(nameof(Fixtures))]
    public void Bf16LogProbabilitiesStayCloseToTheFp32Reference(string fixture)
    {
        var (worst, mean) = DistanceFromTheReference(fixture, Precision.Bf16);
        Assert.True(worst <= 0.15 && mean <= 0.03, $"{fixture}: max |Δ log p| = {worst:F4}, mean {mean:F4}");
        Assert.True(worst > 0, "bf16 gave exactly the fp32 log-probabilities: it did not compute in bf16");
    }

    static (double Worst, double Mean) DistanceFromTheReference(string fixture, Precision precision)
    {
        var expected = Expected(fixture);
        using var model = LanguageModel.Load(RepositoryFiles.Engine(fixture), precision);
        Assert.Equal(precision, model.Precision);
        return ReferenceFixtureTests.Distance(model, Ints(expected.GetProperty("ids")), expected.GetProperty("logprobs"), $"{fixture} {precision}");
    }

    /// <summary>Greedy decoding runs the KV cache one position at a time, so a cache that disagrees
    /// with the full forward (keys cached before RoPE, a window counted from the wrong end) picks
    /// other tokens; every step's top-two logit gap in the reference is above 0.02. The reference
    /// picks among all the embedding's rows, the engine only among ids its tokenizer has, so the
    /// continuations are compared up to the reference's first id outside the tokenizer.</summary>
    [Theory]
    [MemberData(nameof(Fixtures))]
    public void GreedyGenerationMatchesThePyTorchReference(string fixture)
    {
        var greedy = Expected(fixture).GetProperty("greedy");
        using var model = LanguageModel.Load(RepositoryFiles.Engine(fixture), Precision.Fp32);
        var continuation = Generation.Continue(model, Ints(greedy.GetProperty("prompt_ids")),
            new GenerationOptions { MaxNewTokens = 8, StopAtEndOfText = false });
        var reference = Ints(greedy.GetProperty("continuation_ids")).TakeWhile(id => id < model.Tokenizer.VocabularySize).ToArray();
        Assert.True(reference.Length >= 4, $"only {reference.Length} reference tokens to compare");
        Assert.Equal(reference, continuation.Take(reference.Length));
    }

    [Theory]
    [MemberData(nameof(Fixtures))]
    public void TheConfigIsReadAsTheReferenceResolvedIt(string fixture)
    {
        var expected = Expected(fixture);
        var reference = expected.GetProperty("config");
        var config = Assert.IsType<LlamaConfig>(HuggingFaceFolder.ReadConfig(RepositoryFiles.Engine(fixture)));
        Assert.Equal(reference.GetProperty("num_key_value_heads").GetInt32(), config.KvHeads);
        Assert.Equal(reference.GetProperty("head_dim").GetInt32(), config.HeadSize);
        Assert.Equal(reference.GetProperty("tie_word_embeddings").GetBoolean(), config.TiedEmbeddings);
        Assert.Equal(reference.GetProperty("qkv_bias").GetBoolean(), config.QkvBias);
        Assert.Equal(reference.GetProperty("o_bias").GetBoolean(), config.OutputBias);
        Assert.Equal(reference.GetProperty("qk_norm").GetBoolean(), config.QkNorm);
        var frequencies = new RotaryPositions(config).Frequencies;
        var referenceFrequencies = expected.GetProperty("rope_inv_freq").EnumerateArray().Select(e => e.GetDouble()).ToArray();
        Assert.Equal(referenceFrequencies.Length, frequencies.Count);
        for (int i = 0; i < frequencies.Count; i++)
            Assert.True(Math.Abs(frequencies[i] - referenceFrequencies[i]) <= 1e-6 * referenceFrequencies[i], $"frequency {i}: {frequencies[i]} vs {referenceFrequencies[i]}");
    }
}
