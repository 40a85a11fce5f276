using FedPrompt.Formats.Settings;
using FedPrompt.Model;
using FedPrompt.Testing;

namespace FedPrompt.Tuning.Tests.Tuning;

/// <summary>A frozen tiny GPT learns a task whose answer depends on the sentence, through its prompt (or LoRA adapters) alone.</summary>
public class LearningTests
{
    [Theory]
    [InlineData(PromptEncoderType.Deep, 0.1, Precision.Fp32)]
    [InlineData(PromptEncoderType.Mlp, 0.003, Precision.Fp32)]
    [InlineData(PromptEncoderType.Deep, 0.1, Precision.Bf16)]
    [InlineData(PromptEncoderType.Mlp, 0.003, Precision.Bf16)]
    [InlineData(PromptEncoderType.Lora, 0.01, Precision.Fp32)]
    [InlineData(PromptEncoderType.Lora, 0.01, Precision.Bf16)]
    public void PromptTuningLearnsASentenceDependentTask(PromptEncoderType type, double learningRate, Precision precision)
    {
        using var folder = new TemporaryDirectory();
        var train = SyntheticTask.Write(folder, "train.jsonl", 96, seed: 1);
        var validation = SyntheticTask.Write(folder, "val.jsonl", 48, seed: 2);
        // The fixture GPT's large random weights make its hidden states depend on the sentence; the
        // prompt has to learn to turn that into the answer.
        using var model = LanguageModel.Load(RepositoryFiles.Engine("tiny-gpt2"), precision);
        var settings = new TuningSettings
        {
            Template = TaskTemplate.FinancialPhraseBank with
            {
                PromptTemplate = "<|VIRTUAL_PROMPT_0|> {sentence}{label}", AddEos = false, TotalVirtualTokens = 8, VirtualTokenSplits = [8],
            },
            Encoder = new PromptEncoderSettings { Type = type, VirtualTokens = 8, HiddenSize = 64, InitText = "" },
            Training = new TrainingOptions { LearningRate = learningRate, WarmupSteps = 2, MaxSteps = 60, GlobalBatchSize = 16, MicroBatchSize = 8 },
        };
        var session = TuningSession.Create(model, settings, train, validation);
        var before = session.Evaluate(session.Validation, generate: false);
        for (int epoch = 0; epoch < 10; epoch++) session.TrainEpoch();
        var after = session.Evaluate(session.Validation, generate: true);

        Assert.True(before.Accuracy <= 0.7, $"the untrained prompt already scores {before.Accuracy:F3}; the task proves nothing");
        Assert.True(after.Loss < before.Loss, $"validation loss {before.Loss:F3} → {after.Loss:F3}");
        Assert.True(after.Accuracy >= 0.9, $"accuracy {before.Accuracy:F3} → {after.Accuracy:F3} (majority {after.MajorityBaseline:F3})");
        Assert.True(after.ExactMatch >= 0.9, $"exact match {after.ExactMatch:F3}");
    }
}
