using FedPrompt.Formats.Settings;
using FedPrompt.Model;
using FedPrompt.Testing;
using FedPrompt.Tuning.Training;

namespace FedPrompt.Tuning.Tests.Tuning;

/// <summary>LSTM dropout draws from libtorch's process-wide generator, which a checkpoint carries
/// (LoRA's draws from the encoder's own): these tests run alone so that no other test draws from the
/// process-wide one in the middle of a run.</summary>
[CollectionDefinition(nameof(ResumeTests), DisableParallelization = true)]
public sealed class ResumeCollection;

/// <summary>A local run stopped part-way and resumed from its checkpoint ends exactly where the run
/// would have ended without the interruption.</summary>
[Collection(nameof(ResumeTests))]
public class ResumeTests
{
    const int Epochs = 3;

    /// <summary>6 steps an epoch; max_steps ends the run 2 steps into the third.</summary>
    static TuningSettings Settings(PromptEncoderType type) => new()
    {
        Template = TaskTemplate.FinancialPhraseBank with
        {
            PromptTemplate = "<|VIRTUAL_PROMPT_0|> {sentence}{label}", AddEos = false, TotalVirtualTokens = 4, VirtualTokenSplits = [4],
        },
        Encoder = new PromptEncoderSettings { Type = type, VirtualTokens = 4, HiddenSize = 16, Layers = 2, LstmDropout = type == PromptEncoderType.Lstm ? 0.5 : 0, LoraDropout = 0.5, InitText = "" },
        Training = new TrainingOptions { LearningRate = 0.01, WarmupSteps = 2, MaxSteps = 14, GlobalBatchSize = 8, MicroBatchSize = 4 },
        Epochs = Epochs,
    };

    sealed class Files : IDisposable
    {
        readonly TemporaryDirectory _folder = new();

        public Files()
        {
            Train = SyntheticTask.Write(_folder, "train.jsonl", 48, seed: 1);
            Validation = SyntheticTask.Write(_folder, "val.jsonl", 16, seed: 2);
        }

        public string Train { get; }
        public string Validation { get; }
        public string Run(string name) => _folder.File(name);
        public string Write(string name, int count, int seed) => SyntheticTask.Write(_folder, name, count, seed);
        public void Dispose() => _folder.Dispose();
    }

    /// <summary>Cancels the run once the trainer has taken <paramref name="steps"/> steps.</summary>
    sealed class CancelAfter(int steps, CancellationTokenSource cancel) : IProgress<TrainingProgress>
    {
        public void Report(TrainingProgress value)
        {
            if (value.Step == steps) cancel.Cancel();
        }
    }

    [Theory]
    [InlineData(PromptEncoderType.Mlp, "cancelled inside an epoch")]
    [InlineData(PromptEncoderType.Lstm, "cancelled inside an epoch")]
    [InlineData(PromptEncoderType.Lora, "cancelled inside an epoch")]
    [InlineData(PromptEncoderType.Mlp, "killed after an epoch")]
    public void AResumedRunEndsWithTheUninterruptedRunsEncoderAndMetrics(PromptEncoderType type, string interruption)
    {
        using var files = new Files();
        using var model = TinyModels.Create();
        var settings = Settings(type);
        TuningSession Session() => TuningSession.Create(model, settings, files.Train, files.Validation);

        var whole = LocalTraining.Start(Session(), Epochs, files.Run("whole")).Run();
        Assert.Equal([6, 12, 14], whole.Epochs.Select(e => e.Step));

        var interrupted = files.Run("interrupted");
        if (interruption == "killed after an epoch")
        {
            // What kill -9 after the first epoch leaves: that epoch's files and checkpoint.
            var killed = files.Run("killed");
            LocalTraining.Start(Session(), Epochs, killed).Run(epochDone: m =>
            {
                if (m.Epoch == 1) CopyFolder(killed, interrupted);
            });
        }
        else
        {
            using var cancel = new CancellationTokenSource();
            Assert.ThrowsAny<OperationCanceledException>(() =>
                LocalTraining.Start(Session(), Epochs, interrupted).Run(new CancelAfter(8, cancel), cancel: cancel.Token));
        }

        var session = Session();
        var resuming = LocalTraining.Start(session, Epochs, interrupted, ExistingRun.Resume);
        Assert.Equal(interruption == "killed after an epoch" ? new TrainerPosition(6, 1) : new TrainerPosition(8, 1, 2),
            resuming.ResumedFrom! with { EpochLossSum = 0, EpochSeconds = 0 });
        var resumed = resuming.Run();

        using var expected = Artefacts.EncoderArtefact.Load(whole.FinalEncoder, model).Encoder;
        foreach (var ((name, want), (_, got)) in expected.named_parameters().Zip(session.Model.Encoder.named_parameters()))
            Assert.True(want.equal(got).all().item<bool>(), $"{name} differs from the uninterrupted run's");
        Assert.Equal(File.ReadAllBytes(whole.FinalEncoder), File.ReadAllBytes(resumed.FinalEncoder));
        Assert.Equal(File.ReadAllBytes(whole.BestEncoder), File.ReadAllBytes(resumed.BestEncoder));
        Assert.Equal(whole.Epochs.Select(Comparable), resumed.Epochs.Select(Comparable));
        Assert.Equal((whole.BestEpoch, whole.BestValidationLoss), (resumed.BestEpoch, resumed.BestValidationLoss));
    }

    /// <summary>An epoch's metrics apart from when it ran and how long it took.</summary>
    static object Comparable(EpochMetrics m) => (m.Epoch, m.Step, m.TrainLoss, m.ValidationLoss, m.LearningRate, m.Precision);

    static void CopyFolder(string from, string to)
    {
        foreach (var file in Directory.EnumerateFiles(from, "*", SearchOption.AllDirectories))
        {
            var target = Path.Combine(to, Path.GetRelativePath(from, file));
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            File.Copy(file, target);
        }
    }

    [Theory]
    [InlineData("learning rate", "the setting training.learning_rate was 0.01 in the interrupted run, now 0.02")]
    [InlineData("seed", "the setting encoder.seed was 1234 in the interrupted run, now 7")]
    [InlineData("training data", "the training data differ from the interrupted run's")]
    [InlineData("precision", "the interrupted run's model computed in fp32, this one in bf16 (load it with --precision fp32)")]
    public void AResumeThatWouldBeAnotherRunIsRefusedNamingWhatDiffers(string change, string message)
    {
        using var files = new Files();
        // A loaded model has one fingerprint in every precision, so only the precision differs.
        using var model = LanguageModel.Load(RepositoryFiles.Engine("tiny-gpt2"), Precision.Fp32);
        var settings = Settings(PromptEncoderType.Mlp);
        var folder = files.Run("run");
        using (var cancel = new CancellationTokenSource())
            Assert.ThrowsAny<OperationCanceledException>(() => LocalTraining.Start(TuningSession.Create(model, settings, files.Train, files.Validation), Epochs, folder)
                .Run(new CancelAfter(3, cancel), cancel: cancel.Token));
        var checkpoint = File.ReadAllBytes(Path.Combine(folder, RunFolder.CheckpointFile));

        using var other = change == "precision" ? LanguageModel.Load(RepositoryFiles.Engine("tiny-gpt2"), Precision.Bf16) : null;
        var train = change == "training data" ? files.Write("other.jsonl", 48, seed: 3) : files.Train;
        var changed = change switch
        {
            "learning rate" => settings with { Training = settings.Training with { LearningRate = 0.02 } },
            "seed" => settings with { Encoder = settings.Encoder with { Seed = 7 } },
            _ => settings,
        };
        var session = TuningSession.Create(other ?? model, changed with { Epochs = 5 }, train, files.Validation);
        var error = Assert.Throws<InvalidDataException>(() => LocalTraining.Start(session, 5, folder, ExistingRun.Resume));
        Assert.Contains("cannot resume: " + message, error.Message);
        Assert.Equal(checkpoint, File.ReadAllBytes(Path.Combine(folder, RunFolder.CheckpointFile)));
    }
}
