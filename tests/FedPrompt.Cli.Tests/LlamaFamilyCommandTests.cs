using System.Text.Json;
using FedPrompt.Formats.Settings;
using FedPrompt.Testing;

namespace FedPrompt.Cli.Tests;

/// <summary>Llama-family Hugging Face folders (the engine's reference fixtures: Llama 3 and Llama 2
/// layouts, Mistral, Qwen2, Qwen3, with tokenizer.json or SentencePiece tokenizers) wherever --model goes.</summary>
public class LlamaFamilyCommandTests
{
    static readonly TimeSpan Timeout = TimeSpan.FromMinutes(2);


    static JsonElement Expected(string fixture) => RepositoryFiles.LlamaExpected.GetProperty("fixtures").GetProperty(fixture);

    /// <summary>The tokens are the model's own tokenizer's, with the beginning-of-text token where the
    /// family adds one (Llama 3 by its post-processor, Llama 2 by add_bos_token, Qwen none).</summary>
    [Theory]
    [InlineData("tiny-llama")]
    [InlineData("tiny-llama-sentencepiece")]
    [InlineData("tiny-mistral")]
    [InlineData("tiny-qwen2")]
    public void ScoreTokenizesAsTheFamilyDoesAndMatchesTheReference(string fixture)
    {
        var expected = Expected(fixture);
        var json = JsonDocument.Parse(FedPromptProcess.Ok(FedPromptProcess.Run(Timeout, "model", "score", "--model", RepositoryFiles.Engine(fixture),
            "--text", expected.GetProperty("text").GetString()!, "--precision", "fp32"))).RootElement;
        Assert.Equal(expected.GetProperty("ids").EnumerateArray().Select(e => e.GetInt32()), json.GetProperty("tokens").EnumerateArray().Select(e => e.GetInt32()));
        var reference = expected.GetProperty("logprobs").EnumerateArray().Select(e => e.GetDouble()).ToList();
        var actual = json.GetProperty("logprobs").EnumerateArray().Select(e => e.GetDouble()).ToList();
        Assert.Equal(reference.Count, actual.Count);
        Assert.All(reference.Zip(actual), p => Assert.True(Math.Abs(p.First - p.Second) <= 1e-4, $"{p.First} vs {p.Second}"));
    }

    [Fact]
    public void InfoNamesTheFamilyAndItsFeatures()
    {
        var info = JsonDocument.Parse(FedPromptProcess.Ok(FedPromptProcess.Run(Timeout, "model", "info", "--model", RepositoryFiles.Engine("tiny-qwen3"), "--json"))).RootElement;
        var architecture = info.GetProperty("architecture").GetString()!;
        Assert.Contains("Llama architecture (qwen3)", architecture);
        Assert.Contains("4 heads sharing 2 key/value heads of size 16", architecture);
        Assert.Contains("q/k norm", architecture);
        Assert.Contains("tokenizer.json", info.GetProperty("tokenizer").GetString());
    }

    [Theory]
    [InlineData("tiny-llama", "mlp")]
    [InlineData("tiny-llama-sentencepiece", "deep")]
    public void TrainEvaluateAndPredictOnALlamaFamilyFolder(string fixture, string encoder)
    {
        using var folder = new TemporaryDirectory();
        string In(string name) => Path.Combine(folder.Path, name);
        var model = RepositoryFiles.Engine(fixture);
        File.WriteAllLines(In("train.jsonl"), File.ReadLines(RepositoryFiles.Fixture("financial_phrase_bank_train.jsonl")).Take(24));
        File.WriteAllLines(In("val.jsonl"), File.ReadLines(RepositoryFiles.Fixture("financial_phrase_bank_val.jsonl")).Take(12));

        var train = FedPromptProcess.Ok(FedPromptProcess.Run(Timeout, "train", "--model", model, "--train", In("train.jsonl"), "--validation", In("val.jsonl"),
            "--encoder-type", encoder, "--epochs", "2", "--lr", "0.01", "--global-batch", "8", "--micro-batch", "4", "--warmup", "1", "--out", In("run")));
        Assert.Contains("epoch 2: train loss", train);
        Assert.Contains("Llama architecture", train);
        var evaluation = JsonDocument.Parse(FedPromptProcess.Ok(FedPromptProcess.Run(Timeout, "eval", "--model", model, "--prompt-encoder", In("run/best.safetensors"),
            "--input", In("val.jsonl"), "--json"))).RootElement;
        Assert.Equal(12, evaluation.GetProperty("examples").GetInt32());
        Assert.InRange(evaluation.GetProperty("accuracy").GetDouble(), 0, 1);
        var prediction = FedPromptProcess.Ok(FedPromptProcess.Run(Timeout, "predict", "--model", model, "--prompt-encoder", In("run/best.safetensors"),
            "--sentence", "Net sales rose .", "--max-new-tokens", "2"));
        Assert.StartsWith("Net sales rose . sentiment:", prediction);

        // The encoder belongs to its base model: another Llama-family model of another shape refuses it.
        var (exit, _, error) = FedPromptProcess.Run(Timeout, "eval", "--model", RepositoryFiles.Engine("tiny-qwen3"), "--prompt-encoder", In("run/best.safetensors"),
            "--input", In("val.jsonl"));
        Assert.Equal(1, exit);
        Assert.Contains("trained on a different base model", error);
    }

    [Fact]
    public void SimulateFederatesALlamaFamilyModel()
    {
        using var folder = new TemporaryDirectory();
        var data = Path.Combine(folder.Path, "data");
        TestJobs.WriteData(data, sites: 2);
        var job = TestJobs.Write(Path.Combine(folder.Path, "job"), sites: 2, rounds: 1, minClients: 2);
        var summary = JsonDocument.Parse(FedPromptProcess.Ok(FedPromptProcess.Run(Timeout, "simulate", "--job", job, "--model", RepositoryFiles.Engine("tiny-qwen2"),
            "--data", data, "--workspace", Path.Combine(folder.Path, "workspace"), "--json"))).RootElement;
        Assert.Equal("finished", summary.GetProperty("status").GetString());
        Assert.True(File.Exists(summary.GetProperty("best_model").GetString()));
    }

    /// <summary>A sharded, untied Llama with a tokenizer.json becomes one folder that loads to the same
    /// weights (fingerprint) and tokenizes the same.</summary>
    [Fact]
    public void ConvertWritesAFolderThatLoadsToTheSameModel()
    {
        using var folder = new TemporaryDirectory();
        FedPromptProcess.Ok(FedPromptProcess.Run(Timeout, "model", "convert", "--model", RepositoryFiles.Engine("tiny-llama-sharded"), "--out", folder.Path, "--dtype", "f32"));
        using var original = Model.LanguageModel.Load(RepositoryFiles.Engine("tiny-llama-sharded"), Formats.Settings.Precision.Fp32);
        using var converted = Model.LanguageModel.Load(folder.Path, Formats.Settings.Precision.Fp32);
        Assert.Equal(original.Fingerprint, converted.Fingerprint);
        Assert.Equal(original.Config, converted.Config);
        var text = Expected("tiny-llama-sharded").GetProperty("text").GetString()!;
        Assert.Equal(original.Encode(text), converted.Encode(text));
        Assert.Equal(original.LogProbabilities(original.Encode(text)), converted.LogProbabilities(converted.Encode(text)));
    }

    [Fact]
    public void GenerateContinuesALlamaFamilyPrompt()
    {
        var output = FedPromptProcess.Ok(FedPromptProcess.Run(Timeout, "generate", "--model", RepositoryFiles.Engine("tiny-qwen3"), "--prompt", "The dollar", "--max-new-tokens", "4"));
        Assert.StartsWith("The dollar", output);
    }
}
