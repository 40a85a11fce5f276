using System.Text.Json;
using FedPrompt.Testing;

namespace FedPrompt.Cli.Tests;

/// <summary>One site's p-tuning through the command line, end to end on a GPT-2 folder.</summary>
public class TuningCommandTests
{
    static readonly TimeSpan Timeout = TimeSpan.FromMinutes(2);


    [Fact]
    public void PrepareSplitTrainEvaluateAndPredict()
    {
        using var folder = new TemporaryDirectory();
        string In(string name) => Path.Combine(folder.Path, name);
        var model = RepositoryFiles.Engine("tiny-gpt2");

        FedPromptProcess.Ok(FedPromptProcess.Run(Timeout, "data", "prepare", "--out", In("fpb")));
        Assert.Equal(File.ReadAllBytes(RepositoryFiles.Fixture("financial_phrase_bank_train.jsonl")), File.ReadAllBytes(In("fpb/financial_phrase_bank_train.jsonl")));
        var split = FedPromptProcess.Ok(FedPromptProcess.Run(Timeout, "data", "split", "--input", In("fpb/financial_phrase_bank_train.jsonl"), "--sites", "3", "--out", In("sites")));
        Assert.Contains("site-3", split);

        // The fixture model has 64 positions: the template without virtual tokens at the input (deep) fits more sentences.
        var train = FedPromptProcess.Ok(FedPromptProcess.Run(Timeout, "train", "--model", model, "--train", In("sites/site-1.jsonl"), "--validation", In("fpb/financial_phrase_bank_val.jsonl"),
            "--encoder-type", "deep", "--epochs", "2", "--lr", "0.05", "--global-batch", "16", "--out", In("run")));
        Assert.Contains("dropped as too long", train);
        Assert.Contains("epoch 2: train loss", train);
        var metrics = File.ReadAllLines(In("run/metrics.jsonl"));
        Assert.Equal(2, metrics.Length);
        Assert.True(File.Exists(In("run/best.safetensors")));

        var evaluation = JsonDocument.Parse(FedPromptProcess.Ok(FedPromptProcess.Run(Timeout, "eval", "--model", model, "--prompt-encoder", In("run/best.safetensors"),
            "--input", In("fpb/financial_phrase_bank_test.jsonl"), "--json"))).RootElement;
        Assert.Equal([" negative", " neutral", " positive"], evaluation.GetProperty("answers").EnumerateArray().Select(a => a.GetString()));
        Assert.InRange(evaluation.GetProperty("accuracy").GetDouble(), 0, 1);
        Assert.Equal(evaluation.GetProperty("examples").GetInt32(), evaluation.GetProperty("confusion").EnumerateArray().Sum(r => r.EnumerateArray().Sum(c => c.GetInt32())));

        var prediction = FedPromptProcess.Ok(FedPromptProcess.Run(Timeout, "predict", "--model", model, "--prompt-encoder", In("run/best.safetensors"),
            "--sentence", "The agreement is valid for four years .", "--max-new-tokens", "3"));
        Assert.StartsWith("The agreement is valid for four years . sentiment:", prediction);

        // An encoder is refused on another base model.
        var (exit, _, error) = FedPromptProcess.Run(Timeout, "eval", "--model", RepositoryFiles.Engine("tiny-megatron.nemo"), "--prompt-encoder", In("run/best.safetensors"),
            "--input", In("fpb/financial_phrase_bank_test.jsonl"));
        Assert.Equal(1, exit);
        Assert.Contains("trained on a different base model", error);
    }

    [Fact]
    public void LoraTrainsThenExportsAsPeftAndThePeftFolderEvaluatesGeneratesAndPredictsAlike()
    {
        using var folder = new TemporaryDirectory();
        string In(string name) => Path.Combine(folder.Path, name);
        var model = RepositoryFiles.Engine("tiny-gpt2");
        var test = RepositoryFiles.Fixture("financial_phrase_bank_val.jsonl");
        var train = FedPromptProcess.Ok(FedPromptProcess.Run(Timeout, TrainArguments.For(folder, TrainArguments.Lines,
            "--encoder-type", "lora", "--lora-rank", "4", "--lora-alpha", "8", "--lora-targets", "all", "--lora-freeze-a", "--epochs", "2", "--warmup", "2", "--lr", "0.01")));
        Assert.Contains("LoRA r 4, alpha 8 on all (A frozen: FFA-LoRA)", train);
        Assert.Contains("epoch 2: train loss", train);

        FedPromptProcess.Ok(FedPromptProcess.Run(Timeout, "adapter", "export", "--model", model, "--prompt-encoder", In("run/best.safetensors"), "--out", In("peft")));
        var config = JsonDocument.Parse(File.ReadAllText(In("peft/adapter_config.json"))).RootElement;
        Assert.Equal(4, config.GetProperty("r").GetInt32());
        Assert.Equal(["attn.c_attn", "attn.c_proj", "mlp.c_fc", "mlp.c_proj"], config.GetProperty("target_modules").EnumerateArray().Select(t => t.GetString()));

        string Eval(string encoder) => FedPromptProcess.Ok(FedPromptProcess.Run(Timeout, "eval", "--model", model, "--prompt-encoder", encoder, "--input", test, "--json", "--no-generate"));
        Assert.Equal(Eval(In("run/best.safetensors")), Eval(In("peft")));
        string Generate(string encoder) => FedPromptProcess.Ok(FedPromptProcess.Run(Timeout, "generate", "--model", model, "--prompt-encoder", encoder,
            "--prompt", "Sales rose by 5 % . sentiment:", "--max-new-tokens", "4"));
        var generated = Generate(In("peft"));
        Assert.Equal(Generate(In("run/best.safetensors")), generated);
        Assert.StartsWith("Sales rose by 5 % . sentiment:", generated);
        FedPromptProcess.Ok(FedPromptProcess.Run(Timeout, "predict", "--model", model, "--prompt-encoder", In("peft"), "--sentence", "Sales rose by 5 % .", "--max-new-tokens", "2"));

        // Exporting something that is not LoRA, or over an adapter already there, is refused by name.
        var (exit, _, error) = FedPromptProcess.Run(Timeout, "adapter", "export", "--model", model, "--prompt-encoder", In("run/best.safetensors"), "--out", In("peft"));
        Assert.Equal(1, exit);
        Assert.Contains("already holds a PEFT adapter", error);
    }

    [Fact]
    public void MaxStepsEndsTrainingInsideAnEpoch()
    {
        using var folder = new TemporaryDirectory();
        var output = FedPromptProcess.Ok(FedPromptProcess.Run(Timeout, TrainArguments.For(folder, TrainArguments.Lines, "--epochs", "3000", "--max-steps", "12", "--warmup", "2")));
        Assert.Contains("stopped at max_steps 12, in epoch 2 of 3000", output);
        var steps = File.ReadAllLines(Path.Combine(folder.Path, "run", "metrics.jsonl")).Select(l => JsonDocument.Parse(l).RootElement.GetProperty("step").GetInt32());
        Assert.Equal([8, 12], steps);
    }

    [Theory]
    [InlineData("warmup (20 steps) is not shorter than the run (8 steps", "--epochs", "1", "--warmup", "20")]
    [InlineData("warmup (50 steps) must be shorter than max_steps (10)", "--max-steps", "10")]
    public void AWarmupLongerThanTheRunIsRefused(string message, params string[] flags)
    {
        using var folder = new TemporaryDirectory();
        var (exit, _, error) = FedPromptProcess.Run(Timeout, TrainArguments.For(folder, TrainArguments.Lines, flags));
        Assert.Equal(1, exit);
        Assert.Contains(message, error);
        Assert.False(Directory.Exists(Path.Combine(folder.Path, "run")));
    }

    [Fact]
    public void ATrainingLabelOutsideTheTasksAnswersIsRefused()
    {
        using var folder = new TemporaryDirectory();
        var lines = TrainArguments.Lines.Select((l, i) => i == 2 ? JsonSerializer.Serialize(new { taskname = "sentiment", sentence = "Sales rose .", label = " bullish" }) : l);
        var (exit, _, error) = FedPromptProcess.Run(Timeout, TrainArguments.For(folder, lines, "--epochs", "1", "--warmup", "1"));
        Assert.Equal(1, exit);
        Assert.Contains("train.jsonl:3: label \" bullish\" is not one of the task's answers (\" negative\", \" neutral\", \" positive\")", error);
        Assert.False(Directory.Exists(Path.Combine(folder.Path, "run")));
    }

    [Fact]
    public void AValidationFileWithNoExampleThatFitsIsRefused()
    {
        using var folder = new TemporaryDirectory();
        var arguments = TrainArguments.For(folder, TrainArguments.Lines, "--warmup", "1");
        var validation = Path.Combine(folder.Path, "val.jsonl");
        // Its loss would be no number at all: every line is longer than the fixture's 64 positions.
        File.WriteAllLines(validation, new[] { " negative", " neutral", " positive" }.Select(label => JsonSerializer.Serialize(new
        {
            taskname = "sentiment", sentence = string.Join(" ", Enumerable.Repeat("The company said that sales rose .", 20)), label,
        })));
        var (exit, _, error) = FedPromptProcess.Run(Timeout, arguments);
        Assert.Equal(1, exit);
        Assert.Contains($"error: {validation}: every example is longer than 64 tokens", error);
        Assert.False(Directory.Exists(Path.Combine(folder.Path, "run")));
    }
}
