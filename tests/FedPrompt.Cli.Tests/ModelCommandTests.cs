using System.Text.Json;
using FedPrompt.Formats.Settings;
using FedPrompt.Testing;

namespace FedPrompt.Cli.Tests;

public class ModelCommandTests
{
    static readonly TimeSpan Timeout = TimeSpan.FromMinutes(1);

    [Fact]
    public void ScorePrintsTheReferenceLogProbabilitiesAsJson()
    {
        var expected = RepositoryFiles.EngineExpected.GetProperty("fixtures").GetProperty("tiny-megatron.nemo");
        // The reference is fp32's; bf16's distance from it is the engine tests' concern.
        var (exit, output, error) = FedPromptProcess.Run(Timeout, "model", "score", "--model", RepositoryFiles.Engine("tiny-megatron.nemo"),
            "--text", expected.GetProperty("text").GetString()!, "--precision", "fp32");
        Assert.True(exit == 0, error);
        var json = JsonDocument.Parse(output).RootElement;
        Assert.Equal(expected.GetProperty("ids").EnumerateArray().Select(e => e.GetInt32()), json.GetProperty("tokens").EnumerateArray().Select(e => e.GetInt32()));
        var reference = expected.GetProperty("logprobs").EnumerateArray().Select(e => e.GetDouble()).ToList();
        var actual = json.GetProperty("logprobs").EnumerateArray().Select(e => e.GetDouble()).ToList();
        Assert.Equal(reference.Count, actual.Count);
        Assert.All(reference.Zip(actual), p => Assert.True(Math.Abs(p.First - p.Second) <= 1e-4, $"{p.First} vs {p.Second}"));
    }

    [Fact]
    public void GenerateContinuesThePromptGreedily()
    {
        var greedy = RepositoryFiles.EngineExpected.GetProperty("fixtures").GetProperty("tiny-gpt2-bin").GetProperty("greedy");
        var prompt = greedy.GetProperty("prompt").GetString()!;
        var (exit, output, error) = FedPromptProcess.Run(Timeout, "generate", "--model", RepositoryFiles.Engine("tiny-gpt2-bin"), "--prompt", prompt, "--max-new-tokens", "8", "--precision", "fp32");
        Assert.True(exit == 0, error);
        var tokenizer = Model.TextTokenizer.ForFolder(RepositoryFiles.Engine("tiny-gpt2-bin"));
        var continuation = tokenizer.Decode(greedy.GetProperty("ids").EnumerateArray().Select(e => e.GetInt32()));
        Assert.Equal(prompt + continuation + Environment.NewLine, output);
    }

    [Fact]
    public void InfoDescribesTheModel()
    {
        var (exit, output, error) = FedPromptProcess.Run(Timeout, "model", "info", "--model", RepositoryFiles.Engine("tiny-gpt2-fp16"));
        Assert.True(exit == 0, error);
        Assert.Contains("2 layers, 32 hidden, 4 heads", output);
        Assert.Contains("F16 on disk", output);
        Assert.Matches(@"precision\s+(bf16|fp32) \(auto: (the CPU lacks native bf16|bf16 products measured|the CPU has native bf16, but)", output);
        Assert.Contains("vocab.json", output);
    }

    [Fact]
    public void PrecisionIsChosenOnTheCommandLineAndAMistypedOneIsRefused()
    {
        var (exit, output, error) = FedPromptProcess.Run(Timeout, "model", "info", "--model", RepositoryFiles.Engine("tiny-gpt2"), "--precision", "fp32");
        Assert.True(exit == 0, error);
        Assert.Contains("F32 on disk, fp32 in memory", output);
        (exit, output, error) = FedPromptProcess.Run(Timeout, "model", "info", "--model", RepositoryFiles.Engine("tiny-gpt2"), "--precision", "fp8");
        Assert.Equal(1, exit);
        Assert.Equal("error: --precision: precision \"fp8\" is not one of auto, bf16 or fp32", error.Trim());
    }

    [Fact]
    public void ConvertKeepsTheWeightsExactlyWhateverTheCpuComputesIn()
    {
        using var folder = new TemporaryDirectory();
        var (exit, _, error) = FedPromptProcess.Run(Timeout, "model", "convert", "--model", RepositoryFiles.Engine("tiny-gpt2"), "--out", folder.Path);
        Assert.True(exit == 0, error);
        using var original = Model.LanguageModel.Load(RepositoryFiles.Engine("tiny-gpt2"), Formats.Settings.Precision.Fp32);
        using var converted = Model.LanguageModel.Load(folder.Path, Formats.Settings.Precision.Fp32);
        Assert.Equal(original.Fingerprint, converted.Fingerprint);
    }

    [Fact]
    public void ABadModelPathFailsWithTheProblemNamed()
    {
        var (exit, output, error) = FedPromptProcess.Run(Timeout, "model", "score", "--model", "/no/such/model", "--text", "x");
        Assert.Equal(1, exit);
        Assert.Equal("error: /no/such/model: no such model folder or .nemo file", error.Trim());
        Assert.Empty(output);
    }

    [Fact]
    public void APromptLongerThanThePositionsIsRefused()
    {
        var (exit, _, error) = FedPromptProcess.Run(Timeout, "model", "score", "--model", RepositoryFiles.Engine("tiny-gpt2"), "--text", string.Join(" ", Enumerable.Repeat("profit", 80)));
        Assert.Equal(1, exit);
        Assert.Contains("the model has 64 positions", error);
    }
}
