using System.Text.Json;
using FedPrompt.Model;
using FedPrompt.Tuning.Artefacts;
using FedPrompt.Tuning.Metrics;

namespace FedPrompt.Tuning.Training;

/// <summary>What a local run leaves behind, and where.</summary>
public sealed record LocalTrainingResult(IReadOnlyList<EpochMetrics> Epochs, int BestEpoch, double BestValidationLoss, string FinalEncoder, string BestEncoder, string Metrics);

/// <summary>
/// One site training alone (`fedprompt train`, and the reference's local-only and centralised
/// baselines): epochs of training, the validation loss after each, the encoder after each epoch and
/// the one with the lowest validation loss kept as artefacts, metrics appended per epoch. max_steps
/// ends the run, inside an epoch if need be.
/// </summary>
public static class LocalTraining
{
    public const string FinalEncoderFile = "encoder.safetensors";
    public const string BestEncoderFile = "best.safetensors";
    public const string MetricsFile = "metrics.jsonl";

    static readonly JsonSerializerOptions Json = new() { PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower };

    public static LocalTrainingResult Run(TuningSession session, int epochs, string output, IProgress<TrainingProgress>? progress = null,
        Action<EpochMetrics>? epochDone = null, CancellationToken cancel = default)
    {
        if (epochs < 1) throw new ArgumentException($"epochs must be ≥ 1 (got {epochs})");
        var warmup = session.Settings.Training.WarmupSteps;
        var steps = session.Trainer.StepsFor(epochs, session.Train.Count);
        // A run that ends inside its warmup never reaches the learning rate it was given.
        if (steps > 0 && warmup >= steps)
            throw new ArgumentException($"warmup ({warmup} steps) is not shorter than the run ({steps} steps: {epochs} epochs of {session.Trainer.StepsPerEpoch(session.Train.Count)}, at most max_steps {session.Settings.Training.MaxSteps})");
        Directory.CreateDirectory(output);
        var final = Path.Combine(output, FinalEncoderFile);
        var best = Path.Combine(output, BestEncoderFile);
        var metricsPath = Path.Combine(output, MetricsFile);
        var model = session.Model;
        var history = new List<EpochMetrics>();
        int bestEpoch = 0;
        double bestLoss = double.PositiveInfinity;
        for (int epoch = 0; epoch < epochs && !session.Trainer.Finished; epoch++)
        {
            var trained = session.TrainEpoch(progress, cancel);
            var metrics = new EpochMetrics(trained.Epoch, session.Trainer.Step, trained.MeanLoss, session.ValidationLoss(), trained.LearningRate, trained.Seconds, DateTimeOffset.UtcNow, model.Base.Precision.Name());
            history.Add(metrics);
            EncoderArtefact.Save(final, model.Encoder, session.Settings.Template, session.Answers, model.Base);
            if (metrics.ValidationLoss < bestLoss)
            {
                (bestLoss, bestEpoch) = (metrics.ValidationLoss, metrics.Epoch);
                AtomicFile.WriteAllBytes(best, File.ReadAllBytes(final));
            }
            AtomicFile.WriteAllText(metricsPath, string.Concat(history.Select(m => JsonSerializer.Serialize(m, Json) + "\n")));
            var tensorBoard = Path.Combine(output, "tensorboard");
            Directory.CreateDirectory(tensorBoard);
            TensorBoardWriter.Write(tensorBoard, history.SelectMany(m => new[]
            {
                new Scalar("train_loss", m.Epoch, m.TrainLoss, m.Time),
                new Scalar("validation_loss", m.Epoch, m.ValidationLoss, m.Time),
            }));
            epochDone?.Invoke(metrics);
        }
        return new LocalTrainingResult(history, bestEpoch, bestLoss, final, best, metricsPath);
    }
}
